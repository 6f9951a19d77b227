// Package store is Warden's tamper-evident record store.
//
// [Open] returns a [Store] over a directory. [Store.Append] takes a batch of
// records, writes it to the write-ahead log (package wal) and returns once
// the batch is durable, with the records' IDs. A background sealer groups
// each kind's records into blocks (package segment), appends the blocks to
// time-partitioned segment files, adds one entry per block to the Merkle
// log (package seal) and publishes a signed checkpoint, at least once a
// second while records arrive. Sealed records leave the write-ahead log.
//
// Reads see sealed and pending records alike: [Store.Scan] iterates a kind
// over a time range with key predicates, skipping blocks by their time
// range and filters; [Store.Get] fetches one record; [Store.Follow] tails a
// kind. [Store.Proof] returns a bundle that proves a record offline.
// [Store.Expire] removes whole segments past their retention and logs each
// removal, and [Verify] checks a store directory against its checkpoints.
//
// Lock order: sealMu before mu.
package store
