package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/gzip"
)

// PostgreSQL baseline. A private cluster under Dir/pg, run as the
// postgres OS user (the server refuses root), listening only on a Unix
// socket. The tables hold the columns a trace needs, with the btree
// indexes a DBA would give them; traceSQL does the engine's two joins.

// DefaultPGBin is where Debian's postgresql-15 package puts the server.
const DefaultPGBin = "/usr/lib/postgresql/15/bin"

// ErrNoPostgres is returned when the PostgreSQL 15 server is not
// installed: run scripts/bench-setup (apt-get install postgresql-15), or
// leave the baselines out.
var ErrNoPostgres = errors.New("PostgreSQL 15 is not installed: run scripts/bench-setup (apt-get install -y postgresql-15), or pass -baselines=false")

const pgSchema = `
CREATE TABLE nat (
	outside_addr inet NOT NULL, outside_port int NOT NULL, port_end int NOT NULL,
	inside_addr inet NOT NULL, inside_port int NOT NULL, proto smallint NOT NULL,
	event smallint NOT NULL, t timestamptz NOT NULL, source text NOT NULL);
CREATE TABLE sessions (
	account text NOT NULL, addr inet, delegated_prefix cidr, t timestamptz NOT NULL,
	event smallint NOT NULL, session_id text NOT NULL, calling_station_id text,
	nas_addr inet, nas_port_id text, source text NOT NULL);`

const pgIndexes = `
CREATE INDEX nat_outside ON nat (outside_addr, outside_port, t);
CREATE INDEX sessions_addr ON sessions (addr, t);`

// traceSQL answers a question ($1 outside address, $2 port, $3 moment)
// with the same two joins as the trace engine, in one statement. The NAT
// mapping is the latest flow create (event 1) or block allocation (3) at
// or before the moment plus the tolerance whose port range holds the
// port, unless its delete (2) or release (4) came before the moment less
// the tolerance. Scanning the (outside_addr, outside_port, t) index
// backwards from (address, port, moment) finds a flow on the port, or
// else the block that starts at or below it. The session is the latest
// start (1) or interim (2) of the inside address at or before the moment,
// unless its stop (3) came before.
const traceSQL = `
WITH m AS (
	SELECT n.inside_addr, n.inside_port, n.proto, n.outside_port, n.t FROM nat n
	WHERE n.outside_addr = $1::inet AND n.outside_port <= $2::int AND n.port_end >= $2::int
		AND n.t <= $3::timestamptz + interval '2 seconds' AND n.event IN (1, 3)
	ORDER BY n.outside_port DESC, n.t DESC LIMIT 1
), live AS (
	SELECT m.* FROM m WHERE NOT EXISTS (
		SELECT 1 FROM nat d
		WHERE d.outside_addr = $1::inet AND d.outside_port = m.outside_port
			AND d.t >= m.t AND d.t < $3::timestamptz - interval '2 seconds' AND d.event IN (2, 4)
			AND d.inside_addr = m.inside_addr AND d.inside_port = m.inside_port AND d.proto = m.proto)
)
SELECT s.account FROM live, LATERAL (
	SELECT x.account, x.session_id, x.t FROM sessions x
	WHERE x.addr = live.inside_addr AND x.t <= $3::timestamptz + interval '2 seconds' AND x.event IN (1, 2)
	ORDER BY x.t DESC LIMIT 1) s
WHERE NOT EXISTS (
	SELECT 1 FROM sessions y
	WHERE y.addr = live.inside_addr AND y.session_id = s.session_id AND y.event = 3
		AND y.t >= s.t AND y.t < $3::timestamptz - interval '2 seconds')`

// pgLoadOptions are the settings of the server while it loads: nothing
// it writes then needs to survive a crash, so it does not sync. The
// queries run on a server restarted with the defaults (fsync on).
const pgLoadOptions = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

// pgCluster is the benchmark's private PostgreSQL cluster.
type pgCluster struct {
	bin, dir string
	sock     string // socket directory of the running server, "" when stopped
	port     int
	conf     string
}

func (c *TraceConfig) newPGCluster() (*pgCluster, error) {
	bin := c.PGBin
	if bin == "" {
		bin = DefaultPGBin
	}
	if _, err := os.Stat(filepath.Join(bin, "postgres")); err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrNoPostgres, err)
	}
	sb := c.PGSharedBuffers
	if sb == "" {
		sb = "2GB"
	}
	conf := fmt.Sprintf(`
# warden bench trace: a read benchmark on a dedicated machine
listen_addresses = ''
unix_socket_permissions = 0777
shared_buffers = %s
effective_cache_size = 8GB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 4GB
checkpoint_timeout = 1h
wal_level = minimal
max_wal_senders = 0
autovacuum = off
random_page_cost = 1.1
jit = off
`, sb)
	return &pgCluster{bin: bin, dir: filepath.Join(c.Dir, "pg"), conf: conf}, nil
}

func (p *pgCluster) dataDir() string { return filepath.Join(p.dir, "data") }

// command runs a server program as the postgres user when this process is
// root, and as this user otherwise.
func (p *pgCluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (p *pgCluster) run(name string, args ...string) error {
	out, err := p.command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// own gives path to the postgres user when this process is root.
func own(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("look up the postgres user (scripts/bench-setup creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// initdb creates the cluster afresh.
func (p *pgCluster) initdb() error {
	if err := os.RemoveAll(p.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	if err := own(p.dir); err != nil {
		return err
	}
	if err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"); err != nil {
		return fmt.Errorf("%w (the postgres user must be able to reach %s)", err, p.dir)
	}
	f, err := os.OpenFile(filepath.Join(p.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(p.conf)
	return errors.Join(err, f.Close())
}

// start starts the server on a socket in a new short directory (a Unix
// socket's path is limited to 107 bytes) with the extra options.
func (p *pgCluster) start(options string) error {
	if _, err := os.Stat(filepath.Join(p.dataDir(), "postmaster.pid")); err == nil {
		// An interrupted run left its server up: stop it. If it is not
		// running after all, pg_ctl says so and start goes on.
		_ = p.run("pg_ctl", "-D", p.dataDir(), "-m", "fast", "-w", "stop")
	}
	sock, err := os.MkdirTemp("", "wpg-")
	if err != nil {
		return err
	}
	if err := errors.Join(os.Chmod(sock, 0o755), own(sock)); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	o := fmt.Sprintf("-k %s -p %d %s", sock, port, options)
	if err := p.run("pg_ctl", "-D", p.dataDir(), "-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "600", "-o", o, "start"); err != nil {
		os.RemoveAll(sock)
		return err
	}
	p.sock, p.port = sock, port
	return nil
}

func (p *pgCluster) stop() error {
	if p.sock == "" {
		return nil
	}
	err := p.run("pg_ctl", "-D", p.dataDir(), "-m", "fast", "-w", "-t", "600", "stop")
	os.RemoveAll(p.sock)
	p.sock = ""
	return err
}

func (p *pgCluster) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", p.sock, p.port))
}

// pgLoad is what loading the cluster recorded, kept beside it.
type pgLoad struct {
	Seconds  float64 `json:"seconds"`
	NATRows  int64   `json:"nat_rows"`
	SessRows int64   `json:"session_rows"`
}

const pgLoadFile = "loaded.json"

// load creates the tables, COPYs every day's data, builds the indexes,
// and freezes and analyzes the tables so that no query later sets hint
// bits or plans blind.
func (p *pgCluster) load(ctx context.Context, c *TraceConfig) (pgLoad, error) {
	var res pgLoad
	t := time.Now()
	conn, err := p.connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, pgSchema); err != nil {
		return res, fmt.Errorf("create tables: %w", err)
	}
	for day := range c.Days {
		for _, f := range []struct {
			pattern, table string
			rows           *int64
		}{{fileNATCopy, "nat", &res.NATRows}, {fileSessCopy, "sessions", &res.SessRows}} {
			n, err := copyFile(ctx, conn, c.dayFile(f.pattern, day), f.table)
			if err != nil {
				return res, err
			}
			*f.rows += n
		}
		c.Logger.Info("trace bench: postgresql day loaded", "day", day+1, "of", c.Days, "elapsed", time.Since(t).Round(time.Second))
	}
	for _, q := range []string{pgIndexes, "VACUUM (FREEZE, ANALYZE) nat", "VACUUM (FREEZE, ANALYZE) sessions", "CHECKPOINT"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return res, fmt.Errorf("%s: %w", strings.Fields(q)[0], err)
		}
	}
	res.Seconds = time.Since(t).Seconds()
	return res, nil
}

func copyFile(ctx context.Context, conn *pgx.Conn, path, table string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open COPY data (generated with the baselines?): %w", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	tag, err := conn.PgConn().CopyFrom(ctx, z, "COPY "+table+" FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("copy %s into %s: %w", filepath.Base(path), table, err)
	}
	return tag.RowsAffected(), nil
}

// ensureLoaded creates and loads the cluster unless an earlier run did.
func (p *pgCluster) ensureLoaded(ctx context.Context, c *TraceConfig) (pgLoad, error) {
	var res pgLoad
	b, err := os.ReadFile(filepath.Join(p.dir, pgLoadFile))
	if err == nil {
		return res, json.Unmarshal(b, &res)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return res, err
	}
	if err := p.initdb(); err != nil {
		return res, err
	}
	if err := p.start(pgLoadOptions); err != nil {
		return res, err
	}
	res, err = p.load(ctx, c)
	if err := errors.Join(err, p.stop()); err != nil {
		return res, err
	}
	return res, writeJSON(filepath.Join(p.dir, pgLoadFile), res)
}

// RunTracePG answers every question with PostgreSQL over the same data:
// warm, each question once to warm the caches and once timed; cold, for
// c.ColdSample questions, each on a restarted server (empty shared
// buffers) that has connected and planned one query about an address
// outside the data, with the page cache dropped just before the question.
// The cluster is created and loaded the first time, and kept.
func RunTracePG(ctx context.Context, c TraceConfig) (run TraceRun, err error) {
	c = c.withDefaults()
	run = TraceRun{System: "postgresql 15"}
	p, err := c.newPGCluster()
	if err != nil {
		return run, err
	}
	if c.ColdSample > 0 && os.Geteuid() != 0 {
		return run, ErrNotRoot
	}
	qs, err := ReadTraceQuestions(c.QuestionsFile())
	if err != nil {
		return run, err
	}
	ld, err := p.ensureLoaded(ctx, &c)
	if err != nil {
		return run, fmt.Errorf("load postgresql: %w", err)
	}
	run.OpenSeconds = ld.Seconds
	run.Notes = append(run.Notes, fmt.Sprintf("loaded %d NAT and %d session rows with COPY in %.0fs, with fsync, full_page_writes and synchronous_commit off during the load only",
		ld.NATRows, ld.SessRows, ld.Seconds))
	if err := p.start(""); err != nil {
		return run, err
	}
	defer func() { err = errors.Join(err, p.stop()) }()
	conn, err := p.connect(ctx)
	if err != nil {
		return run, err
	}
	defer func() { err = errors.Join(err, conn.Close(context.Background())) }()
	if err := pgSizes(ctx, conn, &run); err != nil {
		return run, err
	}
	var warm tally
	for pass := range 2 {
		for _, q := range qs {
			d, got, err := pgTrace(ctx, conn, q)
			if err != nil {
				return run, err
			}
			if pass == 1 {
				warm.add(d, got, q.Want)
			}
		}
	}
	run.Warm = warm.latency()
	if c.ColdSample == 0 {
		return run, nil
	}
	var cold tally
	for _, q := range sample(qs, c.ColdSample) {
		// The server is about to stop: how the old connection ends does
		// not matter.
		_ = conn.Close(ctx)
		fresh, err := p.coldConn(ctx)
		if err != nil {
			// Leave a closed connection for the deferred Close.
			return run, err
		}
		conn = fresh
		d, got, err := pgTrace(ctx, conn, q)
		if err != nil {
			return run, err
		}
		cold.add(d, got, q.Want)
	}
	l := cold.latency()
	run.Cold = &l
	run.Notes = append(run.Notes, "cold: restarted server (empty shared_buffers), one query about an address outside the data to load the catalog and plan, then the page cache dropped")
	return run, nil
}

// coldConn restarts the server, connects, plans the trace once on an
// address outside the data, and drops the page cache.
func (p *pgCluster) coldConn(ctx context.Context) (*pgx.Conn, error) {
	if err := p.stop(); err != nil {
		return nil, err
	}
	if err := p.start(""); err != nil {
		return nil, err
	}
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := pgTrace(ctx, conn, TraceQuestion{Addr: netip.MustParseAddr("192.0.2.1"), Port: 1, At: time.Unix(0, 0)}); err != nil {
		return nil, errors.Join(err, conn.Close(ctx))
	}
	if err := dropCaches(); err != nil {
		return nil, errors.Join(err, conn.Close(ctx))
	}
	return conn, nil
}

func pgSizes(ctx context.Context, conn *pgx.Conn, run *TraceRun) error {
	var total, natTable, natIndex, sessTable, sessIndex int64
	err := conn.QueryRow(ctx, `SELECT pg_total_relation_size('nat') + pg_total_relation_size('sessions'),
		pg_table_size('nat'), pg_indexes_size('nat'), pg_table_size('sessions'), pg_indexes_size('sessions')`).
		Scan(&total, &natTable, &natIndex, &sessTable, &sessIndex)
	if err != nil {
		return fmt.Errorf("query relation sizes: %w", err)
	}
	run.Bytes = total
	run.Notes = append(run.Notes, fmt.Sprintf("nat table %d MiB + index %d MiB; sessions table %d MiB + index %d MiB",
		natTable>>20, natIndex>>20, sessTable>>20, sessIndex>>20))
	return nil
}

// pgTrace times one question and returns the account, "" for none.
func pgTrace(ctx context.Context, conn *pgx.Conn, q TraceQuestion) (time.Duration, string, error) {
	t := time.Now()
	var account string
	err := conn.QueryRow(ctx, traceSQL, q.Addr.String(), int(q.Port), q.At).Scan(&account)
	d := time.Since(t)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, "", nil
	}
	if err != nil {
		return d, "", fmt.Errorf("trace %s:%d in postgresql: %w", q.Addr, q.Port, err)
	}
	return d, account, nil
}
