package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/warden-ops/warden/internal/seal"
)

// Expired describes one segment removed by Expire.
type Expired struct {
	Segment string
	Records uint64
	Digest  [32]byte
}

// Expire removes every segment whose newest block was sealed longer ago
// than its kind's retention. Each removal is first written to the log, with
// the file's digest and the policy, so verification can tell lawful expiry
// from a deleted file; only then is the file removed.
func (s *Store) Expire() ([]Expired, error) {
	s.mu.RLock()
	err := s.usable()
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	now := s.cfg.Now()
	var entries []*seal.Entry
	for _, ks := range s.kinds[1:] {
		ret := s.cfg.RetentionFor(ks.kind)
		s.mu.RLock()
		var due []*segInfo
		for _, si := range ks.segments {
			if !si.expired && time.Unix(0, si.lastSeal).Add(ret).Before(now) {
				due = append(due, si)
			}
		}
		s.mu.RUnlock()
		slices.SortFunc(due, func(a, b *segInfo) int { return int(a.firstSeq - b.firstSeq) })
		for _, si := range due {
			if ks.writerName == si.name {
				if err := ks.writer.Close(); err != nil {
					return nil, fmt.Errorf("close segment: %w", err)
				}
				ks.writer, ks.writerName = nil, ""
			}
			sum, size, err := fileDigest(filepath.Join(s.segmentsDir(), si.name))
			if err != nil {
				return nil, err
			}
			entries = append(entries, &seal.Entry{
				Type: seal.EntryExpiry, Kind: ks.kind, Segment: si.name, Time: now.UnixNano(),
				Digest: sum, Size: size, FirstSeq: si.firstSeq, LastSeq: si.lastSeq, Retention: ret,
				Reason: fmt.Sprintf("retention: newest block sealed %s, kept %s", time.Unix(0, si.lastSeal).UTC().Format(time.RFC3339), ret),
			})
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	encs := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := e.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		encs[i] = b
	}
	if _, err := s.mlog.Append(encs...); err != nil {
		return nil, err
	}
	var out []Expired
	s.mu.Lock()
	for _, e := range entries {
		ks := s.kinds[e.Kind]
		ks.segments[e.Segment].expired = true
		ks.dropSegment(e.Segment)
		out = append(out, Expired{Segment: e.Segment, Records: e.LastSeq - e.FirstSeq + 1, Digest: e.Digest})
	}
	s.mu.Unlock()
	if err := s.publish(true); err != nil {
		return out, err
	}
	var errs []error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(s.segmentsDir(), e.Segment)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove expired segment: %w", err))
		}
		errs = append(errs, s.closeIndex(e.Segment, true))
	}
	return out, errors.Join(errs...)
}

// fileDigest returns the SHA-256 and size of a file.
func fileDigest(path string) ([32]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, 0, fmt.Errorf("digest segment: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return [32]byte{}, 0, fmt.Errorf("digest segment: %w", err)
	}
	return [32]byte(h.Sum(nil)), n, nil
}
