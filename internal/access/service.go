package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/time/rate"

	"github.com/warden-ops/warden/internal/seal"
)

// Config configures the access service.
type Config struct {
	// Dir holds the state file and the bootstrap token.
	Dir string
	// SessionTTL is how long a console session lasts. Default 8h, a
	// working day.
	SessionTTL time.Duration
	// ApprovalTTL is how long an approval stays usable. Default 24h.
	ApprovalTTL time.Duration
	// ExportThreshold is the most records one query may return without an
	// export approval. Default 1000.
	ExportThreshold int
	// MaxWindow is the longest time window one query may cover. Default
	// 31 days: a month of one key, never the whole store.
	MaxWindow time.Duration
	// Rate and Burst limit each user's queries (per second, and at once).
	// Defaults 5 and 20: a person clicking, not a script dumping.
	Rate  float64
	Burst int
	// Now returns the time; tests set it.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = 8 * time.Hour
	}
	if c.ApprovalTTL <= 0 {
		c.ApprovalTTL = 24 * time.Hour
	}
	if c.ExportThreshold <= 0 {
		c.ExportThreshold = 1000
	}
	if c.MaxWindow <= 0 {
		c.MaxWindow = 31 * 24 * time.Hour
	}
	if c.Rate <= 0 {
		c.Rate = 5
	}
	if c.Burst <= 0 {
		c.Burst = 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// User is an account that may sign in. Secrets are kept only as hashes.
type User struct {
	Name         string    `json:"name"`
	Roles        []Role    `json:"roles"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Tokens       []Token   `json:"tokens,omitempty"`
	CertSHA256   []string  `json:"cert_sha256,omitempty"` // client certificate fingerprints, hex
	Created      time.Time `json:"created"`
}

// Token is an API token; the secret is shown once, at creation.
type Token struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Hash    string    `json:"hash"` // SHA-256 of the secret, hex
	Created time.Time `json:"created"`
}

type session struct {
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

// state is what the state file holds.
type state struct {
	Users     map[string]*User     `json:"users"`
	Sessions  map[string]*session  `json:"sessions"` // by SHA-256 of the cookie value
	Approvals map[string]*Approval `json:"approvals"`
	// BootstrapHash is the SHA-256 of the one-time bootstrap token, until
	// the first administrator is created.
	BootstrapHash string `json:"bootstrap_hash,omitempty"`
}

// Service is the access service. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	// mu guards st and limiters, and serializes writes of the state file.
	mu       sync.Mutex
	st       state
	limiters map[string]*rate.Limiter
}

// Errors callers branch on. HTTP maps ErrUnauthenticated to 401,
// ErrForbidden to 403, ErrRateLimited to 429, ErrNotFound to 404 and
// ErrInvalid to 400.
var (
	ErrUnauthenticated = errors.New("not authenticated")
	ErrForbidden       = errors.New("forbidden")
	ErrRateLimited     = errors.New("too many requests: slow down")
	ErrNotFound        = errors.New("not found")
	ErrInvalid         = errors.New("invalid request")
)

// Open loads the state in cfg.Dir. On the first start it creates a
// one-time bootstrap token, writes it to Dir/bootstrap-token (readable by
// the owner only) and returns it, so the caller can print it; later
// starts return "" unless no administrator has been created yet, in which
// case the token file is still there.
func Open(cfg Config) (*Service, string, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create access dir: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, limiters: map[string]*rate.Limiter{}}
	b, err := os.ReadFile(s.statePath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.st = state{Users: map[string]*User{}, Sessions: map[string]*session{}, Approvals: map[string]*Approval{}}
	case err != nil:
		return nil, "", fmt.Errorf("read access state: %w", err)
	default:
		if err := json.Unmarshal(b, &s.st); err != nil {
			return nil, "", fmt.Errorf("access state %s: %w", s.statePath(), err)
		}
		if s.st.Sessions == nil {
			s.st.Sessions = map[string]*session{}
		}
		if s.st.Approvals == nil {
			s.st.Approvals = map[string]*Approval{}
		}
	}
	if len(s.st.Users) > 0 || s.st.BootstrapHash != "" {
		return s, "", nil
	}
	token := "wdn-bootstrap-" + randomString(24)
	s.st.BootstrapHash = hashSecret(token)
	if err := writeFile(filepath.Join(cfg.Dir, "bootstrap-token"), []byte(token+"\n"), 0o600); err != nil {
		return nil, "", err
	}
	if err := s.save(); err != nil {
		return nil, "", err
	}
	return s, token, nil
}

func (s *Service) statePath() string { return filepath.Join(s.cfg.Dir, "state.json") }

// save writes the state file. Callers hold mu (or own s).
func (s *Service) save() error {
	b, err := json.MarshalIndent(&s.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode access state: %w", err)
	}
	return writeFile(s.statePath(), b, 0o600)
}

// writeFile replaces a file atomically and durably.
func writeFile(path string, b []byte, perm os.FileMode) error {
	return seal.WriteFileAtomic(path, b, perm)
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Password hashing: argon2id with the RFC 9106 second recommended
// parameters scaled to a server (64 MiB, 3 passes, 2 lanes), encoded in
// the PHC string format.
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

func hashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func validName(name string) error {
	if name == "" || len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return fmt.Errorf("%w: user name %q: 1-64 letters, digits, '-', '_', '.', '@'", ErrInvalid, name)
	}
	return nil
}

// Bootstrap creates the first administrator with the one-time token.
func (s *Service) Bootstrap(token, name, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.BootstrapHash == "" {
		return fmt.Errorf("%w: Warden is already set up; sign in as an administrator", ErrForbidden)
	}
	if !equalHash(hashSecret(token), s.st.BootstrapHash) {
		return fmt.Errorf("%w: wrong bootstrap token", ErrUnauthenticated)
	}
	if len(password) < MinPasswordLen {
		return fmt.Errorf("%w: the administrator needs a password of at least %d characters", ErrInvalid, MinPasswordLen)
	}
	if err := s.addUser(name, password, []Role{RoleAdmin}); err != nil {
		return err
	}
	s.st.BootstrapHash = ""
	if err := s.save(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.cfg.Dir, "bootstrap-token")); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("access: remove used bootstrap token", "err", err)
	}
	return nil
}

func (s *Service) addUser(name, password string, roles []Role) error {
	if err := validName(name); err != nil {
		return err
	}
	if s.st.Users[name] != nil {
		return fmt.Errorf("%w: user %q exists", ErrInvalid, name)
	}
	if password != "" && len(password) < MinPasswordLen {
		return fmt.Errorf("%w: password shorter than %d characters", ErrInvalid, MinPasswordLen)
	}
	if len(roles) == 0 {
		return fmt.Errorf("%w: a user needs at least one role", ErrInvalid)
	}
	u := &User{Name: name, Roles: slices.Clone(roles), Created: s.cfg.Now().UTC()}
	if password != "" {
		u.PasswordHash = hashPassword(password)
	}
	s.st.Users[name] = u
	return nil
}

// AddUser creates a user. The password may be empty for a user who signs
// in only by token or certificate.
func (s *Service) AddUser(name, password string, roles []Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addUser(name, password, roles); err != nil {
		return err
	}
	return s.save()
}

// SetRoles replaces a user's roles. The last administrator keeps his.
func (s *Service) SetRoles(name string, roles []Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	if len(roles) == 0 {
		return fmt.Errorf("%w: a user needs at least one role", ErrInvalid)
	}
	if slices.Contains(u.Roles, RoleAdmin) && !slices.Contains(roles, RoleAdmin) && s.admins() == 1 {
		return fmt.Errorf("%w: %s is the last administrator", ErrInvalid, name)
	}
	u.Roles = slices.Clone(roles)
	return s.save()
}

func (s *Service) admins() int {
	n := 0
	for _, u := range s.st.Users {
		if slices.Contains(u.Roles, RoleAdmin) {
			n++
		}
	}
	return n
}

// RemoveUser deletes a user, his tokens and sessions.
func (s *Service) RemoveUser(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	if slices.Contains(u.Roles, RoleAdmin) && s.admins() == 1 {
		return fmt.Errorf("%w: %s is the last administrator", ErrInvalid, name)
	}
	delete(s.st.Users, name)
	for id, se := range s.st.Sessions {
		if se.User == name {
			delete(s.st.Sessions, id)
		}
	}
	return s.save()
}

// SetPassword replaces a user's password.
func (s *Service) SetPassword(name, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	if len(password) < MinPasswordLen {
		return fmt.Errorf("%w: password shorter than %d characters", ErrInvalid, MinPasswordLen)
	}
	u.PasswordHash = hashPassword(password)
	return s.save()
}

// SetCerts replaces the client certificate fingerprints (SHA-256 of the
// DER certificate, hex) a user signs in with.
func (s *Service) SetCerts(name string, fingerprints []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	var fps []string
	for _, f := range fingerprints {
		f = strings.ToLower(strings.ReplaceAll(f, ":", ""))
		if b, err := hex.DecodeString(f); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: fingerprint %q: want 64 hex digits (SHA-256)", ErrInvalid, f)
		}
		fps = append(fps, f)
	}
	u.CertSHA256 = fps
	return s.save()
}

// NewToken creates an API token for a user and returns its secret, which
// is not kept and cannot be shown again.
func (s *Service) NewToken(name, label string) (id, secret string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return "", "", fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	id = randomHex(6) // hex, so the id never holds the separator
	secret = "wdn_" + id + "_" + randomString(24)
	u.Tokens = append(u.Tokens, Token{ID: id, Name: label, Hash: hashSecret(secret), Created: s.cfg.Now().UTC()})
	return id, secret, s.save()
}

// RevokeToken deletes a user's token.
func (s *Service) RevokeToken(name, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[name]
	if u == nil {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	i := slices.IndexFunc(u.Tokens, func(t Token) bool { return t.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: token %q of %s", ErrNotFound, id, name)
	}
	u.Tokens = slices.Delete(u.Tokens, i, i+1)
	return s.save()
}

// Users returns the users without their secrets, sorted by name.
func (s *Service) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.st.Users {
		c := *u
		c.PasswordHash = ""
		c.Tokens = nil
		for _, t := range u.Tokens {
			c.Tokens = append(c.Tokens, Token{ID: t.ID, Name: t.Name, Created: t.Created})
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Login checks a password and starts a session, returning the cookie
// value.
func (s *Service) Login(name, password string) (string, time.Time, error) {
	s.mu.Lock()
	u := s.st.Users[name]
	s.mu.Unlock()
	// Hash even for an unknown user, so timing does not tell which users
	// exist.
	hash := "$argon2id$v=19$m=65536,t=3,p=2$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	if !checkPassword(hash, password) || u == nil || u.PasswordHash == "" {
		return "", time.Time{}, fmt.Errorf("%w: wrong user name or password", ErrUnauthenticated)
	}
	cookie := randomString(32)
	exp := s.cfg.Now().Add(s.cfg.SessionTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneSessions()
	s.st.Sessions[hashSecret(cookie)] = &session{User: name, Expires: exp}
	return cookie, exp, s.save()
}

// Logout ends a session.
func (s *Service) Logout(cookie string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.Sessions, hashSecret(cookie))
	return s.save()
}

func (s *Service) pruneSessions() {
	now := s.cfg.Now()
	for id, se := range s.st.Sessions {
		if now.After(se.Expires) {
			delete(s.st.Sessions, id)
		}
	}
}

// Principal is an authenticated user and how he authenticated.
type Principal struct {
	User   string
	Roles  []Role
	Method string // "certificate", "token", "session"
}

// Can reports whether the principal's roles grant p.
func (p *Principal) Can(perm Permission) bool { return Allowed(p.Roles, perm) }

// Credentials are what a request presented.
type Credentials struct {
	CertSHA256 string // hex, of the verified client certificate
	Token      string // bearer token
	Session    string // session cookie value
}

// Identify authenticates credentials, trying the certificate, then the
// token, then the session.
func (s *Service) Identify(c Credentials) (*Principal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.CertSHA256 != "" {
		for _, u := range s.st.Users {
			if slices.Contains(u.CertSHA256, c.CertSHA256) {
				return &Principal{User: u.Name, Roles: slices.Clone(u.Roles), Method: "certificate"}, nil
			}
		}
	}
	if c.Token != "" {
		parts := strings.SplitN(c.Token, "_", 3)
		if len(parts) == 3 && parts[0] == "wdn" {
			h := hashSecret(c.Token)
			for _, u := range s.st.Users {
				for _, t := range u.Tokens {
					if t.ID == parts[1] && equalHash(t.Hash, h) {
						return &Principal{User: u.Name, Roles: slices.Clone(u.Roles), Method: "token"}, nil
					}
				}
			}
		}
		return nil, fmt.Errorf("%w: unknown or revoked token", ErrUnauthenticated)
	}
	if c.Session != "" {
		se := s.st.Sessions[hashSecret(c.Session)]
		if se != nil && s.cfg.Now().Before(se.Expires) {
			if u := s.st.Users[se.User]; u != nil {
				return &Principal{User: u.Name, Roles: slices.Clone(u.Roles), Method: "session"}, nil
			}
		}
		return nil, fmt.Errorf("%w: session expired; sign in again", ErrUnauthenticated)
	}
	if c.CertSHA256 != "" {
		return nil, fmt.Errorf("%w: the client certificate belongs to no user", ErrUnauthenticated)
	}
	return nil, fmt.Errorf("%w: sign in, or send a bearer token or client certificate", ErrUnauthenticated)
}

// Allow takes one query from the user's rate limit.
func (s *Service) Allow(user string) error {
	s.mu.Lock()
	l := s.limiters[user]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
		s.limiters[user] = l
	}
	s.mu.Unlock()
	if !l.AllowN(s.cfg.Now(), 1) {
		return ErrRateLimited
	}
	return nil
}

// Limits returns the query bounds: the longest window, and the most
// records one query may return without an export approval.
func (s *Service) Limits() (time.Duration, int) { return s.cfg.MaxWindow, s.cfg.ExportThreshold }
