package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// traceTolerance is the clock skew every system allows, the trace
// engine's default.
const traceTolerance = 2 * time.Second

// RunTraceZgrep answers a sample of the questions the way an operator
// with gzip'd text logs would: zgrep the day's NAT log for the outside
// endpoint (the flow lines of that address and port, and the port block
// lines of that address), pick the mapping that held the port at the
// moment, then zgrep the day's RADIUS log for its inside address and pick
// the session that held it. A day whose log holds no mapping or session
// before the moment is followed by the day before. The page cache is left
// as it is: zgrep's time goes to decompression.
func RunTraceZgrep(ctx context.Context, c TraceConfig) (TraceRun, error) {
	c = c.withDefaults()
	run := TraceRun{System: "zgrep", Notes: []string{"zgrep -F over the day's gzip'd text; page cache as left; decompression-bound"}}
	if _, err := exec.LookPath("zgrep"); err != nil {
		return run, fmt.Errorf("find zgrep (Debian package gzip): %w", err)
	}
	qs, err := ReadTraceQuestions(c.QuestionsFile())
	if err != nil {
		return run, err
	}
	if _, err := os.Stat(c.dayFile(fileNATText, 0)); err != nil {
		return run, fmt.Errorf("the store in %s was generated without the text baselines: %w", c.Dir, err)
	}
	run.Bytes = dirSize(c.textDir())
	var t tally
	for _, q := range sample(qs, c.ZgrepSample) {
		start := time.Now()
		got, err := zgrepTrace(ctx, &c, q)
		if err != nil {
			return run, err
		}
		t.add(time.Since(start), got, q.Want)
	}
	run.Warm = t.latency()
	return run, nil
}

// zgrepTrace answers q from the text logs and returns the account.
func zgrepTrace(ctx context.Context, c *TraceConfig, q TraceQuestion) (string, error) {
	addr := q.Addr.String()
	var natLines []string
	inside := ""
	for day := q.Day; day >= 0 && day >= q.Day-1 && inside == ""; day-- {
		lines, err := zgrep(ctx, c.dayFile(fileNATText, day),
			fmt.Sprintf(`nat-source-address="%s" nat-source-port="%d"`, addr, q.Port), fmt.Sprintf(`reflexive-ip="%s"`, addr))
		if err != nil {
			return "", err
		}
		natLines = append(lines, natLines...)
		inside = textMapping(natLines, int(q.Port), q.At)
	}
	if inside == "" {
		return "", nil
	}
	var sessLines []string
	account := ""
	for day := q.Day; day >= 0 && day >= q.Day-1 && account == ""; day-- {
		lines, err := zgrep(ctx, c.dayFile(fileRADIUSText, day), fmt.Sprintf(`Framed-IP-Address="%s"`, inside))
		if err != nil {
			return "", err
		}
		sessLines = append(lines, sessLines...)
		account = textSession(sessLines, q.At)
	}
	return account, nil
}

// zgrep returns the lines of the gzip'd file holding any of the fixed
// strings.
func zgrep(ctx context.Context, file string, patterns ...string) ([]string, error) {
	args := []string{"-F"}
	for _, p := range patterns {
		args = append(args, "-e", p)
	}
	cmd := exec.CommandContext(ctx, "zgrep", append(args, file)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.ExitCode() == 1 && stderr.Len() == 0 {
		return nil, nil // no line matched
	}
	if err != nil {
		return nil, fmt.Errorf("zgrep %s: %w: %s", file, err, strings.TrimSpace(stderr.String()))
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), nil
}

// textEvent is a NAT or session log line, as much of it as the answer
// needs.
type textEvent struct {
	at   time.Time
	open bool
	key  string // what pairs an open with its close
	low  int
	high int
	who  string // inside address, or account
}

// textMapping returns the inside address of the mapping holding port at
// the moment: the latest flow create or block allocation covering the
// port at or before the moment (with the tolerance), unless its delete
// or release came before the moment.
func textMapping(lines []string, port int, at time.Time) string {
	var evs []textEvent
	for _, l := range lines {
		if e, ok := parseNATLine(l); ok && e.low <= port && port <= e.high {
			evs = append(evs, e)
		}
	}
	return latestOpen(evs, at)
}

// textSession returns the account whose session held the address at the
// moment: the latest start or interim at or before it (with the
// tolerance), unless the session's stop came before it.
func textSession(lines []string, at time.Time) string {
	var evs []textEvent
	for _, l := range lines {
		if e, ok := parseRADIUSLine(l); ok {
			evs = append(evs, e)
		}
	}
	return latestOpen(evs, at)
}

func latestOpen(evs []textEvent, at time.Time) string {
	var best *textEvent
	for i := range evs {
		e := &evs[i]
		if e.open && !e.at.After(at.Add(traceTolerance)) && (best == nil || e.at.After(best.at)) {
			best = e
		}
	}
	if best == nil {
		return ""
	}
	for _, e := range evs {
		if !e.open && e.key == best.key && !e.at.Before(best.at) && e.at.Before(at.Add(-traceTolerance)) {
			return ""
		}
	}
	return best.who
}

func parseNATLine(l string) (textEvent, bool) {
	f := strings.SplitN(l, " ", 7)
	if len(f) < 7 {
		return textEvent{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, f[1])
	if err != nil {
		return textEvent{}, false
	}
	e := textEvent{at: at}
	switch f[5] {
	case "RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_CLOSE":
		e.open = f[5] == "RT_FLOW_SESSION_CREATE"
		e.who = sdValue(l, "source-address")
		e.low, _ = strconv.Atoi(sdValue(l, "nat-source-port"))
		e.high = e.low
		e.key = e.who + "/" + sdValue(l, "source-port") + "/" + sdValue(l, "protocol-id")
	case "RT_SRC_NAT_PBA_ALLOC", "RT_SRC_NAT_PBA_RELEASE":
		e.open = f[5] == "RT_SRC_NAT_PBA_ALLOC"
		e.who = sdValue(l, "internal-ip")
		e.low, _ = strconv.Atoi(sdValue(l, "block-port-low"))
		e.high, _ = strconv.Atoi(sdValue(l, "block-port-high"))
		e.key = e.who
	default:
		return textEvent{}, false
	}
	return e, e.who != ""
}

func parseRADIUSLine(l string) (textEvent, bool) {
	ts, _, _ := strings.Cut(l, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return textEvent{}, false
	}
	e := textEvent{at: at, key: sdValue(l, "Acct-Session-Id"), who: sdValue(l, "User-Name")}
	switch sdValue(l, "Acct-Status-Type") {
	case "Start", "Interim-Update":
		e.open = true
	case "Stop":
	default:
		return textEvent{}, false
	}
	return e, true
}

// sdValue returns the quoted value of key in a line of key="value" pairs.
func sdValue(l, key string) string {
	i := strings.Index(l, " "+key+`="`)
	if i < 0 {
		return ""
	}
	v := l[i+len(key)+3:]
	if j := strings.IndexByte(v, '"'); j >= 0 {
		return v[:j]
	}
	return ""
}
