package syslog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// chunkReader returns its data n bytes per Read, to split frames across
// reads at every position.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// frame is one message as a frameReader gave it.
type frame struct {
	Text      string
	Truncated bool
}

// readFrames reads every frame of r.
func readFrames(r io.Reader, max int) (frames []frame, framingErrors uint64, err error) {
	fr := newFrameReader(r, max)
	for fr.Next() {
		if len(fr.Frame()) > max {
			return nil, 0, errors.New("frame longer than max")
		}
		frames = append(frames, frame{string(fr.Frame()), fr.Truncated()})
	}
	return frames, fr.framingErrors, fr.Err()
}

func TestFrameReader(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		max           int
		want          []frame
		framingErrors uint64
	}{
		{"lf, crlf, nul", "a\nb\r\nc\x00d", 64, []frame{{"a", false}, {"b", false}, {"c", false}, {"d", false}}, 0},
		{"empty lines skipped", "\n\na\n\r\n\x00b\n", 64, []frame{{"a", false}, {"b", false}}, 0},
		{"nul terminated", "<13>a\x00<13>b\x00", 64, []frame{{"<13>a", false}, {"<13>b", false}}, 0},
		{"mixed terminators", "a\x00b\nc\x00d\n", 64, []frame{{"a", false}, {"b", false}, {"c", false}, {"d", false}}, 0},
		{"line exactly max", "abcd\nef\n", 4, []frame{{"abcd", false}, {"ef", false}}, 0},
		{"line longer than max", "0123456789\nabc\n", 4, []frame{{"0123", true}, {"abc", false}}, 0},
		{"line longer than max at end", "abc\n0123456789", 4, []frame{{"abc", false}, {"0123", true}}, 0},
		{"octet counting", "3 abc4 defg", 64, []frame{{"abc", false}, {"defg", false}}, 0},
		{"octet counting with trailing newlines", "3 abc\n4 defg\r\n", 64, []frame{{"abc", false}, {"defg", false}}, 0},
		{"octet counting keeps embedded newlines", "7 a\nb\r\nc\x00", 64, []frame{{"a\nb\r\nc\x00", false}}, 0},
		{"octet count exactly max", "4 abcd2 ef", 4, []frame{{"abcd", false}, {"ef", false}}, 0},
		{"octet count larger than max", "10 01234567893 abc", 4, []frame{{"0123", true}, {"abc", false}}, 0},
		{"huge octet count", "9999999999 abc", 4, []frame{{"abc", true}}, 1},
		{"garbage count resyncs on newline", "3 abcx9 hello\n2 ok", 64, []frame{{"abc", false}, {"x9 hello", false}, {"ok", false}}, 1},
		{"count without space", "3 abc12x\n2 ok", 64, []frame{{"abc", false}, {"12x", false}, {"ok", false}}, 1},
		{"count too long", "3 abc12345678901 x\n2 ok", 64, []frame{{"abc", false}, {"12345678901 x", false}, {"ok", false}}, 1},
		{"zero count", "3 abc0 \n2 ok", 64, []frame{{"abc", false}, {"0 ", false}, {"ok", false}}, 1},
		{"garbage line longer than max", "1 a" + "x" + strings.Repeat("y", 10) + "\n1 b", 4, []frame{{"a", false}, {"xyyy", true}, {"b", false}}, 1},
		{"stream ends inside a frame", "3 abc10 defg", 64, []frame{{"abc", false}, {"defg", true}}, 1},
		{"stream ends inside a count", "3 abc12", 64, []frame{{"abc", false}, {"12", true}}, 1},
		{"line without final newline", "a\nbc", 64, []frame{{"a", false}, {"bc", false}}, 0},
		{"digits then no space means lines", "2026-10-11 22:14:15 host x\n1 y\n", 64, []frame{{"2026-10-11 22:14:15 host x", false}, {"1 y", false}}, 0},
		{"only digits", "123", 64, []frame{{"123", false}}, 0},
		{"empty", "", 64, nil, 0},
		{"only newlines", "\n\r\n\x00", 64, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := 1; n <= len(tt.in)+1; n++ {
				got, fe, err := readFrames(&chunkReader{[]byte(tt.in), n}, tt.max)
				if err != nil {
					t.Fatalf("chunks of %d: %v", n, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("frames of %q read in chunks of %d (-want +got):\n%s", tt.in, n, diff)
				}
				if fe != tt.framingErrors {
					t.Errorf("chunks of %d: framing errors = %d, want %d", n, fe, tt.framingErrors)
				}
			}
			got, _, err := readFrames(iotest.DataErrReader(strings.NewReader(tt.in)), tt.max)
			if err != nil || !cmp.Equal(tt.want, got) {
				t.Errorf("with data and EOF together: frames %v, err %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestFrameReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("3 abc3 de"), iotest.ErrReader(boom))
	got, _, err := readFrames(r, 64)
	if !errors.Is(err, boom) {
		t.Errorf("Err() = %v, want %v", err, boom)
	}
	// The partial frame is still delivered: nothing read is lost.
	if want := []frame{{"abc", false}, {"de", true}}; !cmp.Equal(got, want) {
		t.Errorf("frames = %v, want %v", got, want)
	}
}

// TestFrameReaderBoundedMemory sends one 8 MiB line and one 8 MiB counted
// frame: the buffer must stay within the limit.
func TestFrameReaderBoundedMemory(t *testing.T) {
	const max = 1000
	huge := bytes.Repeat([]byte("x"), 8<<20)
	for _, in := range [][]byte{
		append(append([]byte{}, huge...), "\nok\n"...),
		append(append([]byte("8388608 "), huge...), "2 ok"...),
	} {
		fr := newFrameReader(&chunkReader{in, 64 << 10}, max)
		var got []frame
		for fr.Next() {
			got = append(got, frame{string(fr.Frame()), fr.Truncated()})
			if len(fr.buf) > max+maxLenDigits+1 {
				t.Fatalf("buffer grew to %d bytes, limit %d", len(fr.buf), max+maxLenDigits+1)
			}
		}
		want := []frame{{strings.Repeat("x", max), true}, {"ok", false}}
		if !cmp.Equal(got, want) {
			t.Errorf("got %d frames, want the first %d bytes truncated, then ok", len(got), max)
		}
		if fr.bytesRead != uint64(len(in)) {
			t.Errorf("bytesRead = %d, want %d", fr.bytesRead, len(in))
		}
	}
}
