package radius

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Secret is a RADIUS shared secret. It redacts itself in logs and in fmt
// output; convert it with []byte(s) where the protocol needs it.
type Secret string

// LogValue implements [slog.LogValuer]: a secret is never logged.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String returns a placeholder, so that %v and %s print no secret.
func (Secret) String() string { return "REDACTED" }

// GoString returns a placeholder, so that %#v prints no secret.
func (Secret) GoString() string { return `"REDACTED"` }

// MarshalText returns a placeholder, so that encoding/json (which slog's
// JSON handler uses for structs holding a Secret) and YAML encoders print
// no secret. Decoding is unaffected: a Secret is read as a plain string.
func (Secret) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }

// Client is a NAS, or a set of NASes that share a secret, allowed to send
// accounting requests.
type Client struct {
	// Name identifies the client in records (their Source) and in Stats.
	// Names are unique.
	Name string
	// Prefix holds the source addresses the client sends from. A packet
	// belongs to the client with the longest prefix holding its source.
	Prefix netip.Prefix
	// Secret is the shared secret its Request Authenticators are made with.
	Secret Secret
	// Vendor, if set, names the vendor of the NAS as a loaded dictionary
	// spells it in its VENDOR line (case does not matter), for example
	// "Huawei" or "H3C". Only that vendor's attributes are then read from
	// the client's packets; when empty, those of every loaded vendor are.
	Vendor string
}

// LogValue implements [slog.LogValuer], logging the client without its
// secret.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", c.Name), slog.String("prefix", c.Prefix.String()),
		slog.String("vendor", c.Vendor), slog.Any("secret", c.Secret))
}

// Config configures a [Server].
type Config struct {
	// Addr is the UDP address to listen on, for example "127.0.0.1:1813".
	// Port 0 picks a free port; [Server.Addr] reports it.
	Addr string
	// Clients lists who may send. A packet from any other address is
	// dropped and counted.
	Clients []Client
	// Dictionaries are FreeRADIUS dictionary files, such as
	// /usr/share/freeradius/dictionary.huawei, loaded when the server is
	// made. Their vendor attributes fill fields that a NAS sends only in a
	// Vendor-Specific attribute (see the package documentation). $INCLUDE
	// paths are relative to the including file's directory.
	Dictionaries []string
	// DuplicateWindow is how long a request is remembered so that a
	// retransmission is recognised. Default 30s: a NAS typically gives up
	// on a server after three to five tries a few seconds apart, so 30s
	// covers every retransmission with room to spare.
	DuplicateWindow time.Duration
}

// DefaultDuplicateWindow is the DuplicateWindow that zero stands for.
const DefaultDuplicateWindow = 30 * time.Second

// maxDuplicateWindow bounds DuplicateWindow. Longer windows buy nothing (a
// NAS does not retransmit for minutes) and only cost memory.
const maxDuplicateWindow = 10 * time.Minute

// Validate reports the first setting that is missing or out of range.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return errors.New("radius: addr is required")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("radius: parse addr %q: %w", c.Addr, err)
	}
	names := map[string]bool{}
	prefixes := map[netip.Prefix]string{}
	for i, cl := range c.Clients {
		switch {
		case cl.Name == "":
			return fmt.Errorf("radius: client %d: name is required", i)
		case names[cl.Name]:
			return fmt.Errorf("radius: client %q: name used twice", cl.Name)
		case !cl.Prefix.IsValid():
			return fmt.Errorf("radius: client %q: prefix is required", cl.Name)
		case cl.Prefix.Addr().Zone() != "":
			return fmt.Errorf("radius: client %q: prefix %s has a zone", cl.Name, cl.Prefix)
		case cl.Secret == "":
			return fmt.Errorf("radius: client %q: secret is required", cl.Name)
		}
		p := clientPrefix(cl.Prefix)
		if other, ok := prefixes[p]; ok {
			return fmt.Errorf("radius: client %q: prefix %s is also client %q's", cl.Name, p, other)
		}
		names[cl.Name] = true
		prefixes[p] = cl.Name
	}
	for i, d := range c.Dictionaries {
		if d == "" {
			return fmt.Errorf("radius: dictionary %d: path is empty", i)
		}
	}
	if c.DuplicateWindow < 0 || c.DuplicateWindow > maxDuplicateWindow {
		return fmt.Errorf("radius: duplicate_window %s out of range (0 to %s)", c.DuplicateWindow, maxDuplicateWindow)
	}
	return nil
}

// clientPrefix returns p in the form source addresses are matched in: an
// IPv4-mapped prefix becomes IPv4, host bits are cleared.
func clientPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.DuplicateWindow == 0 {
		d.DuplicateWindow = DefaultDuplicateWindow
	}
	return d
}
