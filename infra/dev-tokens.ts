/**
 * `npm run tokens`: prints development bearer tokens for the embedded mode (HS256, valid 12 hours), signed
 * with the secret, issuer and audience the embedded service verifies (the development ones, or
 * AUTH_JWT_SECRET / AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE when set). Anywhere but the embedded mode it refuses:
 * real tokens come from the identity provider.
 *
 *   curl -H "Authorization: Bearer $(npm run -s tokens | grep '^user ' | cut -d' ' -f2)" localhost:3000/api/v1/bookings
 */
import { signDevToken } from '../query-api/index.ts'
import { isEmbedded, loadConfig, serviceConfig } from './config.ts'

const loaded = loadConfig()
const config = isEmbedded(loaded) ? serviceConfig(loaded) : undefined
if (config === undefined || config.authJwtSecret === '') {
  process.stderr.write(
    'tokens: development tokens are for the embedded mode with an HS256 secret (no KAFKA_BROKERS, no DATABASE_URL, no AUTH_JWT_PUBLIC_KEY / AUTH_JWKS_URL)\n',
  )
  process.exit(64)
}
const tokens: [string, Parameters<typeof signDevToken>[1]][] = [
  ['user', { sub: 'user-1', role: 'user' }],
  ['user2', { sub: 'user-2', role: 'user' }],
  ['organizer', { sub: 'org-1', role: 'organizer' }],
  ['organizer2', { sub: 'org-2', role: 'organizer' }],
  ['admin', { sub: 'admin-1', role: 'admin', amr: ['pwd', 'mfa'] }],
  ['admin-no-2fa', { sub: 'admin-2', role: 'admin', amr: ['pwd'] }],
]
for (const [name, claims] of tokens)
  process.stdout.write(
    `${name} ${await signDevToken(config.authJwtSecret, claims, {
      issuer: config.authJwtIssuer,
      audience: config.authJwtAudience,
    })}\n`,
  )
