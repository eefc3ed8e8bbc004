/**
 * Check-in devices in the read model's own table (migrations/010.do.check-in-devices.sql): created,
 * listed and revoked by the API, looked up by the hash of a key on every request a device makes. The key
 * itself never reaches this module; the API hashes it (query-api/auth.ts).
 */
import type { Db } from './db.ts'
import { isoOf } from './instants.ts'

/** A check-in device as its event's organizer sees it: never its key. */
export interface CheckInDeviceView {
  readonly deviceId: string
  readonly eventId: string
  readonly name: string
  /** Who created it (the organizer, or an admin). */
  readonly createdBy: string
  readonly createdAt: string
}

/** What a valid device key grants: check-in at one event, on behalf of that event's organizer. */
export interface CheckInDeviceGrant {
  readonly deviceId: string
  readonly eventId: string
  /** The event's organizer now (the events row), or null when the event is not in the read model. */
  readonly organizerId: string | null
}

/** What creating a device takes: its ID and name, and the hash of its key (hex SHA-256). */
export interface NewCheckInDevice {
  readonly deviceId: string
  readonly eventId: string
  readonly name: string
  readonly keyHash: string
  readonly createdBy: string
}

/** Active devices one event may have at once; creating one more is refused. */
export const MAX_DEVICES_PER_EVENT = 100

/**
 * The device-key storage of the read model. Revocation is immediate on every instance: lookups read the
 * table on each request, nothing is cached.
 */
export interface CheckInDeviceStore {
  /**
   * Records a device; undefined when the event has {@link MAX_DEVICES_PER_EVENT} active devices already
   * (the count and the insert are one statement, so concurrent creations stay within about the limit).
   */
  createCheckInDevice(device: NewCheckInDevice): Promise<CheckInDeviceView | undefined>
  /** The event's active devices, oldest first. */
  listCheckInDevices(eventId: string): Promise<readonly CheckInDeviceView[]>
  /** Revokes an active device of the event; false when the event has no such active device. */
  revokeCheckInDevice(eventId: string, deviceId: string): Promise<boolean>
  /** The grant of an active device by the hash of its key; undefined for an unknown or revoked key. */
  findCheckInDevice(keyHash: string): Promise<CheckInDeviceGrant | undefined>
}

const COLUMNS = 'device_id, event_id, name, created_by, created_at'

function toView(row: Record<string, unknown>): CheckInDeviceView {
  return {
    deviceId: String(row.device_id),
    eventId: String(row.event_id),
    name: String(row.name),
    createdBy: String(row.created_by),
    createdAt: isoOf(row.created_at)!,
  }
}

/** {@link CheckInDeviceStore} on the read model's Db (pg or PGlite). */
export class SqlCheckInDeviceStore implements CheckInDeviceStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  async createCheckInDevice(device: NewCheckInDevice): Promise<CheckInDeviceView | undefined> {
    const rows = await this.#db.query(
      `INSERT INTO check_in_devices (device_id, event_id, name, key_hash, created_by, created_at)
       SELECT $1, $2, $3, $4, $5, now()
       WHERE (SELECT count(*) FROM check_in_devices WHERE event_id = $2 AND revoked_at IS NULL) < $6
       RETURNING ${COLUMNS}`,
      [device.deviceId, device.eventId, device.name, device.keyHash, device.createdBy, MAX_DEVICES_PER_EVENT],
    )
    return rows[0] === undefined ? undefined : toView(rows[0])
  }

  async listCheckInDevices(eventId: string): Promise<readonly CheckInDeviceView[]> {
    const rows = await this.#db.query(
      `SELECT ${COLUMNS} FROM check_in_devices WHERE event_id = $1 AND revoked_at IS NULL
       ORDER BY created_at, device_id`,
      [eventId],
    )
    return rows.map(toView)
  }

  async revokeCheckInDevice(eventId: string, deviceId: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE check_in_devices SET revoked_at = now()
       WHERE event_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING 1`,
      [eventId, deviceId],
    )
    return rows.length > 0
  }

  async findCheckInDevice(keyHash: string): Promise<CheckInDeviceGrant | undefined> {
    const rows = await this.#db.query<{ device_id: string; event_id: string; organizer_id: string | null }>(
      `SELECT d.device_id, d.event_id, e.organizer_id FROM check_in_devices d
       LEFT JOIN events e ON e.id = d.event_id
       WHERE d.key_hash = $1 AND d.revoked_at IS NULL`,
      [keyHash],
    )
    const row = rows[0]
    return row === undefined
      ? undefined
      : { deviceId: row.device_id, eventId: row.event_id, organizerId: row.organizer_id }
  }
}
