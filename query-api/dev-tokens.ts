/**
 * `npm run tokens`: prints development bearer tokens (HS256, the development secret the embedded mode
 * uses when AUTH_JWT_SECRET is unset), valid 12 hours. Usage: `npm run tokens [-- <secret>]`.
 *
 *   curl -H "Authorization: Bearer $(npm run -s tokens | grep '^user ' | cut -d' ' -f2)" localhost:8080/api/v1/bookings
 */
import { DEV_JWT_SECRET, signDevToken } from './auth.ts'

const secret = process.argv[2] ?? DEV_JWT_SECRET
const tokens: [string, Parameters<typeof signDevToken>[1]][] = [
  ['user', { sub: 'user-1', role: 'user' }],
  ['user2', { sub: 'user-2', role: 'user' }],
  ['organizer', { sub: 'org-1', role: 'organizer' }],
  ['organizer2', { sub: 'org-2', role: 'organizer' }],
  ['admin', { sub: 'admin-1', role: 'admin', amr: ['pwd', 'mfa'] }],
  ['admin-no-2fa', { sub: 'admin-2', role: 'admin', amr: ['pwd'] }],
]
for (const [name, claims] of tokens) process.stdout.write(`${name} ${await signDevToken(secret, claims)}\n`)
