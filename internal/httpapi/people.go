package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/warden-ops/warden/internal/access"
)

type credentialsBody struct {
	Token    string `json:"token,omitempty"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// bootstrap creates the first administrator with the one-time token
// printed at the first start.
func (s *Server) bootstrap(r *http.Request, _ *access.Principal) (*reply, error) {
	var b credentialsBody
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	if b.Token == "" {
		return nil, fmt.Errorf("%w: the bootstrap token is required", access.ErrUnauthenticated)
	}
	if err := s.access.Bootstrap(b.Token, b.Name, b.Password); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: map[string]string{"created": b.Name, "role": string(access.RoleAdmin)}, query: "user=" + b.Name}, nil
}

func (s *Server) login(r *http.Request, _ *access.Principal) (*reply, error) {
	var b credentialsBody
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	cookie, exp, err := s.access.Login(b.Name, b.Password)
	if err != nil {
		return nil, fmt.Errorf("%w (user %s)", err, b.Name)
	}
	return &reply{status: http.StatusOK, body: map[string]any{"user": b.Name, "expires": exp}, query: "user=" + b.Name,
		cookie: &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", Expires: exp, HttpOnly: true,
			Secure: s.cfg.TLS, SameSite: http.SameSiteStrictMode}}, nil
}

func (s *Server) logout(r *http.Request, _ *access.Principal) (*reply, error) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := s.access.Logout(ck.Value); err != nil {
			return nil, err
		}
	}
	return &reply{status: http.StatusOK, body: map[string]string{"status": "signed out"},
		cookie: &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.TLS, SameSite: http.SameSiteStrictMode}}, nil
}

func (s *Server) me(_ *http.Request, p *access.Principal) (*reply, error) {
	return ok(p), nil
}

func (s *Server) listUsers(_ *http.Request, _ *access.Principal) (*reply, error) {
	us := s.access.Users()
	return &reply{status: http.StatusOK, body: us, count: uint64(len(us))}, nil
}

type userBody struct {
	Name     string        `json:"name"`
	Password string        `json:"password,omitempty"`
	Roles    []access.Role `json:"roles"`
}

func checkRoles(rs []access.Role) error {
	for _, r := range rs {
		if _, err := access.ParseRole(string(r)); err != nil {
			return fmt.Errorf("%w: %v", access.ErrInvalid, err)
		}
	}
	return nil
}

func (s *Server) addUser(r *http.Request, _ *access.Principal) (*reply, error) {
	var b userBody
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	if err := checkRoles(b.Roles); err != nil {
		return nil, err
	}
	if err := s.access.AddUser(b.Name, b.Password, b.Roles); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: map[string]any{"created": b.Name, "roles": b.Roles},
		query: fmt.Sprintf("user=%s roles=%v", b.Name, b.Roles)}, nil
}

func (s *Server) removeUser(r *http.Request, _ *access.Principal) (*reply, error) {
	name := r.PathValue("name")
	if err := s.access.RemoveUser(name); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]string{"removed": name}, query: "user=" + name}, nil
}

func (s *Server) setRoles(r *http.Request, _ *access.Principal) (*reply, error) {
	var b struct {
		Roles []access.Role `json:"roles"`
	}
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	if err := checkRoles(b.Roles); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if err := s.access.SetRoles(name, b.Roles); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]any{"user": name, "roles": b.Roles}, query: fmt.Sprintf("user=%s roles=%v", name, b.Roles)}, nil
}

func (s *Server) setPassword(r *http.Request, _ *access.Principal) (*reply, error) {
	var b struct {
		Password string `json:"password"`
	}
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if err := s.access.SetPassword(name, b.Password); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]string{"user": name, "password": "changed"}, query: "user=" + name}, nil
}

func (s *Server) setCerts(r *http.Request, _ *access.Principal) (*reply, error) {
	var b struct {
		SHA256 []string `json:"sha256"`
	}
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if err := s.access.SetCerts(name, b.SHA256); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]any{"user": name, "certificates": len(b.SHA256)}, query: fmt.Sprintf("user=%s certs=%v", name, b.SHA256)}, nil
}

func (s *Server) newToken(r *http.Request, _ *access.Principal) (*reply, error) {
	var b struct {
		Name string `json:"name"`
	}
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	user := r.PathValue("name")
	id, secret, err := s.access.NewToken(user, b.Name)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: map[string]string{"id": id, "token": secret, "note": "shown once; store it now"},
		query: fmt.Sprintf("user=%s token=%s label=%s", user, id, b.Name)}, nil
}

func (s *Server) revokeToken(r *http.Request, _ *access.Principal) (*reply, error) {
	user, id := r.PathValue("name"), r.PathValue("id")
	if err := s.access.RevokeToken(user, id); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]string{"revoked": id}, query: fmt.Sprintf("user=%s token=%s", user, id)}, nil
}

func (s *Server) rotateKeys(_ *http.Request, _ *access.Principal) (*reply, error) {
	if err := s.vault.Rotate(); err != nil {
		return nil, err
	}
	f, i := s.vault.Keys()
	return &reply{status: http.StatusOK, body: map[string]any{"rotated": time.Now().UTC(), "field_keys": f, "index_keys": i},
		query: "personal-field keys"}, nil
}
