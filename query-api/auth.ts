/**
 * Bearer-token authentication and role checks. Tokens are JWTs signed HS256 with a shared secret, or
 * RS256/ES256 with a public key (PEM) or a JWKS URL, the algorithms pinned by the kind of key. Every token
 * is verified fully: signature, `iss` and `aud` (so an ID token or another application's token of the same
 * identity provider is refused), `exp` and `iat` required, not older than the maximum age, with a clock
 * tolerance of at most 60 s. Claims: `sub` (the user ID), `role` (`user`, `organizer`, `admin`); an admin
 * token must carry `amr` with `mfa` or `otp`, else every route answers 403 SECOND_FACTOR_REQUIRED (the
 * second factor is the identity provider's business; the claim is ours).
 *
 * Check-in devices present a device key instead of a JWT: `Authorization: Bearer ckd_<43 base64url
 * characters>` (256 random bits), created by the event's organizer or an admin
 * (POST /events/{id}/check-in-devices, shown once, stored as its SHA-256 only) and looked up on every
 * request, so a revoked key stops working at once on every instance. A device is the principal of role
 * `device`: every route refuses it (403) unless the route lists `device` in its roles, and such a route
 * serves it only for its own event (the route's `:id`; 403 for another). It acts for the event's
 * organizer (`actorOf`), and its ID travels in the command (`deviceIdOf`).
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose'
import type { ActorRole } from '../avro/index.ts'
import { ApiError } from './errors.ts'

/** Roles of tokens; `guest` is the absence of a token; `device` a check-in device key. */
export type Role = 'guest' | 'user' | 'organizer' | 'admin' | 'device'
export const TOKEN_ROLES = ['user', 'organizer', 'admin'] as const

/** The role of a check-in device key: add it to a route's roles to let devices of the route's event in. */
export const DEVICE: Role = 'device'

/** What a device key grants: check-in at one event, for the event's organizer. */
export interface DeviceGrant {
  readonly deviceId: string
  readonly eventId: string
  /** The event's organizer, whom the device acts for. */
  readonly organizerId: string
}

/** The caller of a request. */
export interface Principal {
  /** The user of a token; undefined for guests and devices (a device is no user). */
  readonly userId: string | undefined
  readonly role: Role
  /** Whether the token carries a second factor (`amr` has `mfa` or `otp`). */
  readonly secondFactor: boolean
  /** Set for role `device` only. */
  readonly device?: DeviceGrant
  /** How the user is shown to others (reviews): the token's `name` claim, when it is a plain display name. */
  readonly name?: string
}

/** A display name from the `name` claim: 1-100 characters, no control characters or markup; else none. */
export function displayNameOf(claim: unknown): string | undefined {
  if (typeof claim !== 'string') return undefined
  const name = claim.trim().replace(/\s+/g, ' ')
  if (name === '' || name.length > 100 || /[\p{Cc}\p{Cf}<>]/u.test(name)) return undefined
  return name
}

export const GUEST: Principal = { userId: undefined, role: 'guest', secondFactor: false }

/** The longest clock skew a verifier tolerates, seconds. */
export const MAX_CLOCK_TOLERANCE_S = 60

export interface AuthOptions {
  /** HS256 shared secret (AUTH_JWT_SECRET). */
  readonly jwtSecret?: string
  /** RS256/ES256 public key in PEM (AUTH_JWT_PUBLIC_KEY). */
  readonly jwtPublicKey?: string
  /** JWKS URL of the identity provider (AUTH_JWKS_URL). */
  readonly jwksUrl?: string
  /** The `iss` every token must carry (AUTH_JWT_ISSUER). */
  readonly issuer: string
  /** The `aud` every token must carry (AUTH_JWT_AUDIENCE). */
  readonly audience: string
  /** Tokens issued longer ago than this are refused (AUTH_JWT_MAX_AGE_S); default 12 hours. */
  readonly maxTokenAgeS?: number
  /** Clock skew tolerated on `exp`, `nbf` and `iat` (AUTH_CLOCK_TOLERANCE_S); default 30, at most 60. */
  readonly clockToleranceS?: number
}

/** Verifies a bearer token into a Principal; rejects with ApiError UNAUTHENTICATED. */
export type TokenVerifier = (token: string) => Promise<Principal>

/**
 * A verifier for one key. Throws at once on options that could never verify safely: no key, no issuer or
 * audience, a clock tolerance above {@link MAX_CLOCK_TOLERANCE_S}.
 */
export function createTokenVerifier(options: AuthOptions): TokenVerifier {
  if (options.issuer === '' || options.audience === '')
    throw new Error(
      'auth needs the issuer and the audience tokens must carry (AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE)',
    )
  const clockTolerance = options.clockToleranceS ?? 30
  if (!(clockTolerance >= 0 && clockTolerance <= MAX_CLOCK_TOLERANCE_S))
    throw new Error(`the clock tolerance must be 0 to ${MAX_CLOCK_TOLERANCE_S} s`)
  const maxTokenAge = options.maxTokenAgeS ?? 43_200
  let key: Uint8Array | KeyObject | JWTVerifyGetKey | ReturnType<typeof crypto.subtle.importKey>
  let algorithms: string[]
  if (options.jwksUrl !== undefined && options.jwksUrl !== '') {
    key = createRemoteJWKSet(new URL(options.jwksUrl))
    algorithms = ['RS256', 'ES256']
  } else if (options.jwtPublicKey !== undefined && options.jwtPublicKey !== '') {
    key = createPublicKey(options.jwtPublicKey)
    algorithms = ['RS256', 'ES256']
  } else if (options.jwtSecret !== undefined && options.jwtSecret !== '') {
    // Imported once: given the raw bytes, jose imports a key on every verification (a third of its cost).
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(options.jwtSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
    algorithms = ['HS256']
  } else throw new Error('auth needs AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL')
  return async (token) => {
    let payload: Record<string, unknown>
    try {
      const verified = await jwtVerify(
        token,
        (key instanceof Promise ? await key : key) as unknown as Uint8Array,
        {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'iat', 'sub'],
          maxTokenAge,
          clockTolerance,
        },
      )
      payload = verified.payload
    } catch (error) {
      throw new ApiError('UNAUTHENTICATED', 'invalid or expired token', { cause: error })
    }
    const { sub, role, amr, name } = payload
    if (typeof sub !== 'string' || sub === '' || sub.length > 128)
      throw new ApiError('UNAUTHENTICATED', 'the token has no valid sub claim')
    if (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role))
      throw new ApiError('UNAUTHENTICATED', 'the token has no valid role claim (user, organizer, admin)')
    const factors = Array.isArray(amr) ? amr : []
    const displayName = displayNameOf(name)
    return {
      userId: sub,
      role: role as Role,
      secondFactor: factors.includes('mfa') || factors.includes('otp'),
      ...(displayName === undefined ? {} : { name: displayName }),
    }
  }
}

/** The prefix of every check-in device key (never a JWT's first characters, which are `eyJ`). */
export const DEVICE_KEY_PREFIX = 'ckd_'
const DEVICE_KEY = /^ckd_[A-Za-z0-9_-]{43}$/

/** A new device key: {@link DEVICE_KEY_PREFIX} and 32 random bytes in base64url (43 characters). */
export function newDeviceKey(): string {
  return `${DEVICE_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
}

/**
 * The stored form of a device key: its SHA-256 in hex. A fast hash is enough for 256 random bits (nothing
 * to guess from it), and it lets a request find its device with one indexed lookup.
 */
export function deviceKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * Finds the active device of a key hash: its ID, event and the event's organizer (null when the read
 * model does not know the event). The read model's `findCheckInDevice`.
 */
export type DeviceLookup = (
  keyHash: string,
) => Promise<{ deviceId: string; eventId: string; organizerId: string | null } | undefined>

/**
 * Reads the Authorization header: GUEST without one, the verified principal with a valid JWT, the device
 * principal with a valid device key (`devices` looks it up; without it device keys are refused).
 * Rejects with UNAUTHENTICATED (401) for anything else: a malformed header, a bad token, an unknown or
 * revoked device key, a device of an event the read model no longer knows.
 */
export async function authenticate(
  request: FastifyRequest,
  verify: TokenVerifier,
  devices?: DeviceLookup,
): Promise<Principal> {
  return authenticateHeader(request.headers.authorization, verify, devices)
}

/** The principal of an Authorization header (or of gRPC `authorization` metadata), as {@link authenticate}. */
export async function authenticateHeader(
  header: string | undefined,
  verify: TokenVerifier,
  devices?: DeviceLookup,
): Promise<Principal> {
  if (header === undefined || header === '') return GUEST
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (match === null) throw new ApiError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"')
  const token = match[1]!
  if (!token.startsWith(DEVICE_KEY_PREFIX)) return verify(token)
  // The key itself is never logged or echoed: only whether it was found.
  const found =
    DEVICE_KEY.test(token) && devices !== undefined ? await devices(deviceKeyHash(token)) : undefined
  if (found === undefined || found.organizerId === null)
    throw new ApiError('UNAUTHENTICATED', 'unknown or revoked check-in device key')
  return {
    userId: undefined,
    role: 'device',
    secondFactor: false,
    device: { deviceId: found.deviceId, eventId: found.eventId, organizerId: found.organizerId },
  }
}

/**
 * Checks the principal against a route's allowed roles: 401 for a guest where a token is needed, 403 for
 * a role not allowed (a check-in device on any route that does not list `device`), 403
 * SECOND_FACTOR_REQUIRED for an admin token without a second factor.
 */
export function authorize(principal: Principal, allowed: readonly Role[]): void {
  if (principal.role === 'admin' && !principal.secondFactor)
    throw new ApiError('SECOND_FACTOR_REQUIRED', 'admin tokens need a second factor (amr: mfa or otp)')
  if (allowed.includes(principal.role)) return
  if (principal.role === 'guest') throw new ApiError('UNAUTHENTICATED', 'this route needs a bearer token')
  throw new ApiError('FORBIDDEN', `the ${principal.role} role may not call this route`, {
    details: { role: principal.role, allowed },
  })
}

/**
 * Refuses a device on a route it may call but for another event than its own: `routeEventId` is the
 * route's `:id`. Nothing for other principals. Throws FORBIDDEN (403); the app's auth hook calls it after
 * {@link authorize}, so a route that lets devices in must name the event as `:id` in its path.
 */
export function checkDeviceScope(principal: Principal, routeEventId: string | undefined): void {
  if (principal.device === undefined) return
  if (routeEventId !== undefined && routeEventId === principal.device.eventId) return
  throw new ApiError('FORBIDDEN', 'a check-in device key is valid for its own event only', {
    details: { role: 'device' },
  })
}

/**
 * Whether `principal` may check tickets in at `eventId` as far as devices go: true for anyone but a device
 * (the route's roles and the organizer check decide for them), and for a device of that event.
 */
export function deviceMayCheckIn(principal: Principal, eventId: string): boolean {
  return principal.device === undefined || principal.device.eventId === eventId
}

/** The device that acts, for the command's `checkIn.deviceId`; null for a person. */
export function deviceIdOf(principal: Principal): string | null {
  return principal.device?.deviceId ?? null
}

/**
 * The Avro actor of a signed-in principal. A check-in device acts for its event's organizer (role
 * ORGANIZER), so the pipeline's organizer rule applies to it unchanged; the device is named in the command.
 */
export function actorOf(principal: Principal): { userId: string; role: ActorRole } {
  if (principal.device !== undefined) return { userId: principal.device.organizerId, role: 'ORGANIZER' }
  if (principal.userId === undefined) throw new ApiError('UNAUTHENTICATED', 'this route needs a bearer token')
  const role: ActorRole =
    principal.role === 'admin' ? 'ADMIN' : principal.role === 'organizer' ? 'ORGANIZER' : 'USER'
  return { userId: principal.userId, role }
}

/** Signs an HS256 development token for an issuer and audience (`npm run tokens`, tests, benches). */
export async function signDevToken(
  secret: string,
  claims: { sub: string; role: (typeof TOKEN_ROLES)[number]; amr?: readonly string[]; name?: string },
  options: { issuer: string; audience: string; expiresIn?: string },
): Promise<string> {
  return new SignJWT({
    role: claims.role,
    ...(claims.amr ? { amr: [...claims.amr] } : {}),
    ...(claims.name === undefined ? {} : { name: claims.name }),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(secret))
}
