package access

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a set of permissions given to users.
type Role string

// The roles. Each has only what its job needs.
const (
	// RoleAdmin manages users, configuration and keys. It reads no records.
	RoleAdmin Role = "administrator"
	// RoleOperator runs the sources and answers non-personal queries.
	RoleOperator Role = "operator"
	// RoleAuditor reads the audit trail and the verification status.
	RoleAuditor Role = "auditor"
	// RoleInspector is an officer of the supervising authority (Order 82
	// art. 12, 16): queries, reveals and exports, under approval.
	RoleInspector Role = "inspector"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleOperator, RoleAuditor, RoleInspector}

// ParseRole returns the role called s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q (want one of %s)", s, strings.Join(names, ", "))
}

// Permission is one kind of action a route needs.
type Permission string

// The permissions.
const (
	PermStatus  Permission = "status"  // health, checkpoint, own identity
	PermIngest  Permission = "ingest"  // write records and registrations
	PermSources Permission = "sources" // source health and counters
	PermRead    Permission = "read"    // read and search records, proofs; personal fields masked
	PermRequest Permission = "request" // request a reveal or an export
	PermApprove Permission = "approve" // approve or refuse another person's request
	PermAudit   Permission = "audit"   // read the audit trail
	PermVerify  Permission = "verify"  // run and read verification
	PermUsers   Permission = "users"   // manage users, roles, tokens
	PermKeys    Permission = "keys"    // rotate encryption keys
	PermNone    Permission = ""        // for routes that authenticate by themselves (login, bootstrap)
)

// matrix is the one place that says which role may do what. Approving
// belongs to inspectors (the second officer) and administrators (the
// operator's compliance manager); the requester can never approve his own
// request, whatever his roles.
var matrix = map[Role][]Permission{
	RoleAdmin:     {PermStatus, PermSources, PermApprove, PermUsers, PermKeys},
	RoleOperator:  {PermStatus, PermIngest, PermSources, PermRead, PermRequest},
	RoleAuditor:   {PermStatus, PermAudit, PermVerify},
	RoleInspector: {PermStatus, PermRead, PermRequest, PermApprove, PermVerify},
}

// Allowed reports whether any of roles grants p.
func Allowed(roles []Role, p Permission) bool {
	for _, r := range roles {
		if slices.Contains(matrix[r], p) {
			return true
		}
	}
	return false
}
