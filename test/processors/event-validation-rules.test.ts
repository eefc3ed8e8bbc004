import t from 'tap'
import { validateNumbers, validateSchedule, validateTexts } from '../../processors/event-validation.ts'

const failed = (message: string) => ({ reasonCode: 'VALIDATION_FAILED', message })
const DESCRIPTION = 'd'.repeat(10)

t.test('title is 3-255 characters', async (t) => {
  const message = 'title must be 3-255 characters'
  t.strictSame(validateTexts('ab', DESCRIPTION), failed(message))
  t.equal(validateTexts('abc', DESCRIPTION), undefined)
  t.equal(validateTexts('t'.repeat(255), DESCRIPTION), undefined)
  t.strictSame(validateTexts('t'.repeat(256), DESCRIPTION), failed(message))
})

t.test('description is empty or 10-5,000 characters', async (t) => {
  const message = 'description must be 10-5,000 characters'
  t.equal(validateTexts('abc', ''), undefined)
  t.strictSame(validateTexts('abc', 'd'), failed(message))
  t.strictSame(validateTexts('abc', 'd'.repeat(9)), failed(message))
  t.equal(validateTexts('abc', 'd'.repeat(10)), undefined)
  t.equal(validateTexts('abc', 'd'.repeat(5000)), undefined)
  t.strictSame(validateTexts('abc', 'd'.repeat(5001)), failed(message))
})

t.test('the end after the start, and a place', async (t) => {
  const order = 'the end must be after the start'
  t.strictSame(validateSchedule(100, 99, 'Pier'), failed(order))
  t.strictSame(validateSchedule(100, 100, 'Pier'), failed(order))
  t.equal(validateSchedule(100, 101, 'Pier'), undefined)
  t.strictSame(validateSchedule(100, 101, ''), failed('place is required'))
  t.strictSame(validateSchedule(100, 101, '   '), failed('place is required'))
  t.equal(validateSchedule(100, 101, ' x '), undefined)
})

t.test('capacity 1-10000, whole', async (t) => {
  const message = 'capacity must be 1-10000'
  t.strictSame(validateNumbers(0, 15, 2), failed(message))
  t.equal(validateNumbers(1, 15, 2), undefined)
  t.strictSame(validateNumbers(1.5, 15, 2), failed(message))
  t.equal(validateNumbers(10_000, 15, 2), undefined)
  t.strictSame(validateNumbers(10_001, 15, 2), failed(message))
})

t.test('hold time 1-10,080 minutes, whole', async (t) => {
  const message = 'holdMinutes must be 1-10,080'
  t.strictSame(validateNumbers(5, 0, 2), failed(message))
  t.equal(validateNumbers(5, 1, 2), undefined)
  t.strictSame(validateNumbers(5, 2.5, 2), failed(message))
  t.equal(validateNumbers(5, 10_080, 2), undefined)
  t.strictSame(validateNumbers(5, 10_081, 2), failed(message))
})

t.test('booking deadline 0-8,760 hours, whole', async (t) => {
  const message = 'bookingDeadlineHours must be >= 0'
  t.strictSame(validateNumbers(5, 15, -1), failed(message))
  t.equal(validateNumbers(5, 15, 0), undefined)
  t.strictSame(validateNumbers(5, 15, 0.5), failed(message))
  t.equal(validateNumbers(5, 15, 8760), undefined)
  t.strictSame(validateNumbers(5, 15, 8761), failed(message))
})
