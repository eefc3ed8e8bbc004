/**
 * Bearer-token authentication and role checks. Tokens are JWTs signed HS256 with a shared secret, or
 * RS256/ES256 with a public key (PEM) or a JWKS URL, the algorithms pinned by the kind of key. Every token
 * is verified fully: signature, `iss` and `aud` (so an ID token or another application's token of the same
 * identity provider is refused), `exp` and `iat` required, not older than the maximum age, with a clock
 * tolerance of at most 60 s. Claims: `sub` (the user ID), `role` (`user`, `organizer`, `admin`); an admin
 * token must carry `amr` with `mfa` or `otp`, else every route answers 403 SECOND_FACTOR_REQUIRED (the
 * second factor is the identity provider's business; the claim is ours).
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose'
import type { ActorRole } from '../avro/index.ts'
import { ApiError } from './errors.ts'

/** Roles of tokens; `guest` is the absence of a token. */
export type Role = 'guest' | 'user' | 'organizer' | 'admin'
export const TOKEN_ROLES = ['user', 'organizer', 'admin'] as const

/** The caller of a request. */
export interface Principal {
  readonly userId: string | undefined
  readonly role: Role
  /** Whether the token carries a second factor (`amr` has `mfa` or `otp`). */
  readonly secondFactor: boolean
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
  let key: Uint8Array | KeyObject | JWTVerifyGetKey
  let algorithms: string[]
  if (options.jwksUrl !== undefined && options.jwksUrl !== '') {
    key = createRemoteJWKSet(new URL(options.jwksUrl))
    algorithms = ['RS256', 'ES256']
  } else if (options.jwtPublicKey !== undefined && options.jwtPublicKey !== '') {
    key = createPublicKey(options.jwtPublicKey)
    algorithms = ['RS256', 'ES256']
  } else if (options.jwtSecret !== undefined && options.jwtSecret !== '') {
    key = new TextEncoder().encode(options.jwtSecret)
    algorithms = ['HS256']
  } else throw new Error('auth needs AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL')
  return async (token) => {
    let payload: Record<string, unknown>
    try {
      const verified = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge,
        clockTolerance,
      })
      payload = verified.payload
    } catch (error) {
      throw new ApiError('UNAUTHENTICATED', 'invalid or expired token', { cause: error })
    }
    const { sub, role, amr } = payload
    if (typeof sub !== 'string' || sub === '' || sub.length > 128)
      throw new ApiError('UNAUTHENTICATED', 'the token has no valid sub claim')
    if (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role))
      throw new ApiError('UNAUTHENTICATED', 'the token has no valid role claim (user, organizer, admin)')
    const factors = Array.isArray(amr) ? amr : []
    return {
      userId: sub,
      role: role as Role,
      secondFactor: factors.includes('mfa') || factors.includes('otp'),
    }
  }
}

/** Reads the Authorization header: GUEST without one, the verified principal with a valid one. */
export async function authenticate(request: FastifyRequest, verify: TokenVerifier): Promise<Principal> {
  return authenticateHeader(request.headers.authorization, verify)
}

/** An Authorization header's (or gRPC `authorization` metadata's) principal: GUEST without one. */
export async function authenticateHeader(
  header: string | undefined,
  verify: TokenVerifier,
): Promise<Principal> {
  if (header === undefined || header === '') return GUEST
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (match === null) throw new ApiError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"')
  return verify(match[1]!)
}

/**
 * Checks the principal against a route's allowed roles: 401 for a guest where a token is needed, 403 for
 * a role not allowed, 403 SECOND_FACTOR_REQUIRED for an admin token without a second factor.
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

/** The Avro actor of a signed-in principal. */
export function actorOf(principal: Principal): { userId: string; role: ActorRole } {
  if (principal.userId === undefined) throw new ApiError('UNAUTHENTICATED', 'this route needs a bearer token')
  const role: ActorRole =
    principal.role === 'admin' ? 'ADMIN' : principal.role === 'organizer' ? 'ORGANIZER' : 'USER'
  return { userId: principal.userId, role }
}

/** Signs an HS256 development token for an issuer and audience (`npm run tokens`, tests, benches). */
export async function signDevToken(
  secret: string,
  claims: { sub: string; role: Exclude<Role, 'guest'>; amr?: readonly string[] },
  options: { issuer: string; audience: string; expiresIn?: string },
): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.amr ? { amr: [...claims.amr] } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(secret))
}
