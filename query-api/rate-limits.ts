/**
 * Rate limits per role and method group, per minute (MISSION.md): every route counts against its role's
 * general limit, except the booking group (booking writes), which has its own, tighter one. The counter
 * key is the user ID (the device ID for check-in devices, the client IP for guests). Redis-shared in real mode, in-process in embedded.
 */
import type { Role } from './auth.ts'

export type RateGroup = 'general' | 'booking'

export type RateLimitFigures = Readonly<Record<Role, Readonly<Record<RateGroup, number>>>>

export const RATE_LIMITS: RateLimitFigures = {
  guest: { general: 100, booking: 5 },
  user: { general: 300, booking: 15 },
  organizer: { general: 600, booking: 30 },
  admin: { general: 1000, booking: 50 },
  // A check-in device scans a queue at the pier; its key counts per device, not per organizer.
  device: { general: 600, booking: 30 },
}

export const RATE_WINDOW_MS = 60_000
