// Package access decides who may do what in Warden and records that they
// did.
//
// A [Service] keeps the users, their roles, password hashes (argon2id),
// API tokens and client-certificate fingerprints (all stored hashed), the
// console sessions, and the two-person approvals, in one state file
// rewritten atomically. There are no default credentials: the first start
// writes a one-time bootstrap token, with which the first administrator
// is created ([Service.Bootstrap]).
//
// [Service.Identify] authenticates a request by TLS client certificate,
// bearer token or session cookie. [Role]s grant [Permission]s through one
// fixed matrix ([Allowed]); everything else is denied. Revealing a
// personal field and exporting more than a configured number of records
// need an [Approval]: requested with a case reference, approved by a
// second person who may approve, single-purpose, used once, and expiring.
// [Auditor] writes every read and change into the tamper-evident store as
// an audit record before its result is returned.
package access
