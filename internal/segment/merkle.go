package segment

import (
	"crypto/sha256"

	"golang.org/x/mod/sumdb/tlog"
)

// leafHash returns the RFC 6962 leaf hash of data, SHA-256(0x00 || data).
// buf must start with one byte of room: buf[0] is overwritten with 0x00 and
// data is buf[1:]. It does not allocate.
func leafHash(buf []byte) tlog.Hash {
	buf[0] = 0
	return sha256.Sum256(buf)
}

// nodeHash returns the RFC 6962 interior node hash, SHA-256(0x01 || l || r),
// without allocating (tlog.NodeHash allocates a hasher).
func nodeHash(l, r tlog.Hash) tlog.Hash {
	var b [1 + 2*tlog.HashSize]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[1+tlog.HashSize:], r[:])
	return sha256.Sum256(b[:])
}

// treeHash returns the RFC 6962 Merkle tree hash of hashes taken as the
// bottom level of a tree: leaf hashes, or the roots of the aligned perfect
// subtrees of a larger tree. It folds the binary decomposition of the count
// from the right, which equals the recursive definition in RFC 6962 §2.1.
// stack is scratch space and may be nil.
func treeHash(hashes []tlog.Hash, stack []tlog.Hash) tlog.Hash {
	if len(hashes) == 0 {
		return sha256.Sum256(nil)
	}
	stack = stack[:0]
	for i, h := range hashes {
		stack = append(stack, h)
		// Merge completed perfect subtrees: one per trailing one bit of i+1.
		for n := i + 1; n&1 == 0; n >>= 1 {
			l, r := stack[len(stack)-2], stack[len(stack)-1]
			stack = append(stack[:len(stack)-2], nodeHash(l, r))
		}
	}
	h := stack[len(stack)-1]
	for j := len(stack) - 2; j >= 0; j-- {
		h = nodeHash(stack[j], h)
	}
	return h
}

// groupRoots returns the roots of the aligned groups of 1<<shift leaves
// (the last group may be partial). Each is a node of the block's Merkle
// tree, and treeHash over them is the block root.
func groupRoots(dst, leaves []tlog.Hash, shift uint8, stack []tlog.Hash) []tlog.Hash {
	g := 1 << shift
	for i := 0; i < len(leaves); i += g {
		dst = append(dst, treeHash(leaves[i:min(i+g, len(leaves))], stack))
	}
	return dst
}

// ProveLeaf returns the RFC 6962 inclusion proof for leaf i among leaves,
// in the form tlog.CheckRecord verifies.
func ProveLeaf(leaves []tlog.Hash, i int) (tlog.RecordProof, error) {
	var stored []tlog.Hash
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = stored[x]
		}
		return out, nil
	})
	for n, h := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(n), h, rd)
		if err != nil {
			return nil, err
		}
		stored = append(stored, hs...)
	}
	return tlog.ProveRecord(int64(len(leaves)), int64(i), rd)
}
