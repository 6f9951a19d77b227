// Package seal makes Warden's store tamper-evident.
//
// Every sealed block, and every lawful removal of a segment, is an [Entry]
// appended to one append-only [Log]. The log is an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) over the entries' encodings; a block entry
// carries the Merkle root of the block's records and the digest of its
// bytes on disk. The log's state is published as a [Checkpoint] in the
// C2SP signed-note format, signed with Ed25519 (golang.org/x/mod/sumdb/note).
//
// A record is thus bound to a signed checkpoint by two inclusion proofs:
// record to block root, and block entry to checkpoint root. [Bundle]
// carries both with the checkpoint, and [VerifyBundle] checks them offline.
package seal
