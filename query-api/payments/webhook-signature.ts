/**
 * The payment webhook's signature: header `X-Signature: t=<unix seconds>,v1=<hex>` where the hex is
 * HMAC-SHA256(secret, `<t>.<raw body>`). A signature older than the tolerance is refused (replay of a
 * captured request later); replaying a fresh one is harmless, since the pipeline settles each payment ID
 * once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'x-signature'
export const SIGNATURE_TOLERANCE_S = 300

export function signWebhook(secret: string, rawBody: string | Buffer, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000)
  const mac = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex')
  return `t=${t},v1=${mac}`
}

export function verifyWebhook(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  nowMs = Date.now(),
): boolean {
  if (header === undefined) return false
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=')
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const
    }),
  )
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1') ?? ''
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_S) return false
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest()
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'))
}
