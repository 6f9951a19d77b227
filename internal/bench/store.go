// Package bench holds Warden's end-to-end benchmark harnesses. Each phase
// runs in its own process (the command re-executes itself) so that the
// peak resident set of one phase is not inflated by another.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
	"github.com/warden-ops/warden/internal/synth"
	"github.com/warden-ops/warden/internal/wal"
)

// StoreConfig sets up the store benchmark.
type StoreConfig struct {
	Records      int    // NAT records to write
	Batch        int    // records per Append
	Writers      int    // concurrent appenders
	Dir          string // scratch directory
	Destinations bool   // log destination address and port
	Seed         uint64
}

// PhaseResult is what one phase measured.
type PhaseResult struct {
	Phase       string
	Records     int
	Seconds     float64
	Bytes       int64 // bytes on disk the phase left
	PeakRSS     int64 // VmHWM in bytes
	Retries     int   // appends refused by backpressure and retried
	VerifyRate1 float64
	VerifyRate2 float64
}

// RecordsPerSec returns the phase's throughput.
func (r PhaseResult) RecordsPerSec() float64 { return float64(r.Records) / r.Seconds }

// BytesPerRecord returns the phase's size on disk per record.
func (r PhaseResult) BytesPerRecord() float64 { return float64(r.Bytes) / float64(r.Records) }

func (c StoreConfig) generator() *synth.CGNAT {
	g := synth.DefaultCGNAT
	g.Seed, g.Destinations = c.Seed, c.Destinations
	return synth.NewCGNAT(g)
}

// batches generates the records in batches on one goroutine, ahead of the
// consumers by a few batches, so memory stays bounded.
func (c StoreConfig) batches(ctx context.Context) <-chan []*record.Record {
	ch := make(chan []*record.Record, 4)
	go func() {
		defer close(ch)
		g := c.generator()
		for left := c.Records; left > 0; left -= c.Batch {
			b := make([]*record.Record, min(left, c.Batch))
			for i := range b {
				b[i] = g.Next()
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// RunWarden writes the records through store.Append with the default
// configuration, then seals everything: the time covers durable and sealed.
func RunWarden(c StoreConfig) (PhaseResult, error) {
	dir := filepath.Join(c.Dir, "warden")
	st, err := store.Open(store.Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return PhaseResult{}, err
	}
	res := PhaseResult{Phase: "warden", Records: c.Records}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	in := c.batches(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range c.Writers {
		wg.Go(func() {
			for b := range in {
				for {
					_, err := st.Append(b)
					if errors.Is(err, store.ErrBackpressure) {
						mu.Lock()
						res.Retries++
						mu.Unlock()
						time.Sleep(time.Millisecond)
						continue
					}
					if err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
						cancel()
					}
					break
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return res, errors.Join(firstErr, st.Close())
	}
	if err := st.Flush(); err != nil {
		return res, errors.Join(err, st.Close())
	}
	res.Seconds = time.Since(start).Seconds()
	res.PeakRSS = peakRSS()
	if err := st.Close(); err != nil {
		return res, err
	}
	res.Bytes = dirSize(filepath.Join(dir, "segments")) + dirSize(filepath.Join(dir, "log"))
	for i, workers := range []int{1, 2} {
		rep, err := store.Verify(context.Background(), dir, store.VerifyOptions{Workers: workers})
		if err != nil {
			return res, err
		}
		if !rep.OK() {
			return res, fmt.Errorf("verify after bench: %v", rep.Problems)
		}
		rate := float64(rep.Records) / rep.Elapsed.Seconds()
		if i == 0 {
			res.VerifyRate1 = rate
		} else {
			res.VerifyRate2 = rate
		}
	}
	return res, nil
}

func cmpErr(have, err error) error {
	if have != nil {
		return have
	}
	return err
}

// RunPlain is the baseline: the same records, serialized canonically and
// framed, written sequentially to one file with one fsync per batch (the
// store's WAL does at most that many).
func RunPlain(c StoreConfig) (PhaseResult, error) {
	res := PhaseResult{Phase: "plain", Records: c.Records}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return res, err
	}
	f, err := os.Create(filepath.Join(c.Dir, "plain.log"))
	if err != nil {
		return res, err
	}
	defer f.Close()
	start := time.Now()
	var buf, payload []byte
	for b := range c.batches(context.Background()) {
		payload = payload[:0]
		for _, r := range b {
			payload = record.AppendCanonical(payload, r)
		}
		buf = wal.AppendFrame(buf[:0], payload)
		if _, err := f.Write(buf); err != nil {
			return res, err
		}
		if err := f.Sync(); err != nil {
			return res, err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.PeakRSS = peakRSS()
	st, err := f.Stat()
	if err != nil {
		return res, err
	}
	res.Bytes = st.Size()
	return res, nil
}

// TextSizes is the size of the equivalent syslog text, raw and compressed.
type TextSizes struct {
	Lines            int
	Raw, Gzip6, Zstd int64
	ZstdTool         string // "zstd -19", or the Go fallback used
}

// MeasureText writes the first n records as syslog lines and compresses
// them with gzip -6 and zstd -19 (the command-line tools when installed).
func MeasureText(c StoreConfig, n int) (TextSizes, error) {
	ts := TextSizes{Lines: n}
	path := filepath.Join(c.Dir, "syslog.txt")
	f, err := os.Create(path)
	if err != nil {
		return ts, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := c.generator()
	for range n {
		line := synth.Syslog(g.Next())
		ts.Raw += int64(len(line) + 1)
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return ts, err
	}
	if ts.Gzip6, err = compressedSize(path, "gzip", "-6", "-c"); err != nil {
		return ts, err
	}
	ts.ZstdTool = "zstd -19"
	ts.Zstd, err = compressedSize(path, "zstd", "-19", "-c", "-q")
	if errors.Is(err, exec.ErrNotFound) {
		ts.ZstdTool = "zstd (Go, best level; zstd tool not installed)"
		ts.Zstd, err = goZstdSize(path)
	}
	return ts, err
}

func compressedSize(path, tool string, args ...string) (int64, error) {
	cmd := exec.Command(tool, append(args, path)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, out)
	return n, errors.Join(err, cmd.Wait())
}

func goZstdSize(path string) (int64, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	cw := &countWriter{}
	z, err := zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(z, in); err != nil {
		return 0, err
	}
	return cw.n, z.Close()
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// peakRSS returns this process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
