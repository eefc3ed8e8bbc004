import t from 'tap'
import type { Actor } from '../../avro/index.ts'
import {
  canActForUser,
  canActOnBooking,
  canCancelForForceMajeure,
  canChangeBooking,
  canCreateEvent,
  canManageEvent,
  mayBook,
} from '../../processors/authorization.ts'

const event = { organizerId: 'org' }
const booking = { userId: 'u1' }
const organizer: Actor = { userId: 'org', role: 'ORGANIZER' }
const otherOrganizer: Actor = { userId: 'org2', role: 'ORGANIZER' }
const admin: Actor = { userId: 'root', role: 'ADMIN' }
const user: Actor = { userId: 'u1', role: 'USER' }
const otherUser: Actor = { userId: 'u2', role: 'USER' }

t.test('an organizer creates events for themselves, an admin for anyone, a user none', async (t) => {
  t.equal(canCreateEvent(organizer, null), true)
  t.equal(canCreateEvent(organizer, 'org'), true)
  t.equal(canCreateEvent(organizer, 'org2'), false)
  t.equal(canCreateEvent(admin, 'org2'), true)
  t.equal(canCreateEvent(admin, null), true)
  t.equal(canCreateEvent(user, null), false)
})

t.test("the event's organizer (as ORGANIZER) and admins manage it", async (t) => {
  t.equal(canManageEvent(event, organizer), true)
  t.equal(canManageEvent(event, admin), true)
  t.equal(canManageEvent(event, otherOrganizer), false)
  // The organizer's user ID with the USER role is not the organizer acting.
  t.equal(canManageEvent(event, { userId: 'org', role: 'USER' }), false)
})

t.test('a user acts for themselves, an admin for anyone', async (t) => {
  t.equal(canActForUser(user, 'u1'), true)
  t.equal(canActForUser(otherUser, 'u1'), false)
  t.equal(canActForUser(admin, 'u1'), true)
})

t.test('anyone but the organizer may book', async (t) => {
  t.equal(mayBook(event, 'u1'), true)
  t.equal(mayBook(event, 'org'), false)
})

t.test("a booking's user, the event's organizer and admins act on it; others do not", async (t) => {
  t.equal(canActOnBooking(booking, event, user), true)
  t.equal(canActOnBooking(booking, event, organizer), true)
  t.equal(canActOnBooking(booking, event, admin), true)
  t.equal(canActOnBooking(booking, event, otherUser), false)
  t.equal(canActOnBooking(booking, event, otherOrganizer), false)
})

t.test("a booking's user and admins change it; the organizer does not", async (t) => {
  t.equal(canChangeBooking(booking, user), true)
  t.equal(canChangeBooking(booking, admin), true)
  t.equal(canChangeBooking(booking, organizer), false)
  t.equal(canChangeBooking(booking, otherUser), false)
})

t.test('only admins cancel for force majeure', async (t) => {
  t.equal(canCancelForForceMajeure(admin), true)
  t.equal(canCancelForForceMajeure(organizer), false)
  t.equal(canCancelForForceMajeure(user), false)
})
