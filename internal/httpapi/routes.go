package httpapi

import "github.com/warden-ops/warden/internal/access"

// registerRoutes is the API, in one table: pattern, permission, audited.
// Reads of records and every change are audited.
func (s *Server) registerRoutes() {
	const audited, notAudited = true, false
	// Signing in and setting up authenticate by themselves.
	s.route("POST /api/v1/bootstrap", access.PermNone, audited, s.bootstrap)
	s.route("POST /api/v1/login", access.PermNone, audited, s.login)
	s.route("POST /api/v1/logout", access.PermStatus, notAudited, s.logout)
	s.route("GET /api/v1/me", access.PermStatus, notAudited, s.me)

	s.route("GET /healthz", access.PermStatus, notAudited, s.healthz)
	s.route("GET /api/v1/checkpoint", access.PermStatus, notAudited, s.getCheckpoint)
	s.route("GET /api/v1/sources", access.PermSources, notAudited, s.sources)

	s.route("POST /api/v1/records", access.PermIngest, notAudited, s.postRecords)
	s.route("GET /api/v1/records/{id}", access.PermRead, audited, s.getRecord)
	s.route("GET /api/v1/records/{id}/proof", access.PermRead, audited, s.getProof)
	s.route("GET /api/v1/search", access.PermRead, audited, s.search)
	s.route("GET /api/v1/trace", access.PermRead, audited, s.trace)
	s.route("GET /api/v1/history/account/{account}", access.PermRead, audited, s.accountHistory)
	s.route("GET /api/v1/history/address/{addr}", access.PermRead, audited, s.addressHistory)

	s.route("POST /api/v1/registrations", access.PermIngest, audited, s.postRegistration)
	s.route("GET /api/v1/registrations", access.PermRead, audited, s.findRegistrations)
	s.route("GET /api/v1/registrations/{account}/reveal", access.PermRequest, audited, s.reveal)

	s.route("GET /api/v1/approvals", access.PermStatus, notAudited, s.listApprovals)
	s.route("POST /api/v1/approvals", access.PermRequest, audited, s.requestApproval)
	s.route("POST /api/v1/approvals/{id}/approve", access.PermApprove, audited, s.decide(true))
	s.route("POST /api/v1/approvals/{id}/refuse", access.PermApprove, audited, s.decide(false))

	s.route("GET /api/v1/audit", access.PermAudit, audited, s.auditTrail)
	s.route("GET /api/v1/verify", access.PermVerify, audited, s.verify)

	s.route("GET /api/v1/users", access.PermUsers, audited, s.listUsers)
	s.route("POST /api/v1/users", access.PermUsers, audited, s.addUser)
	s.route("DELETE /api/v1/users/{name}", access.PermUsers, audited, s.removeUser)
	s.route("PUT /api/v1/users/{name}/roles", access.PermUsers, audited, s.setRoles)
	s.route("PUT /api/v1/users/{name}/password", access.PermUsers, audited, s.setPassword)
	s.route("PUT /api/v1/users/{name}/certs", access.PermUsers, audited, s.setCerts)
	s.route("POST /api/v1/users/{name}/tokens", access.PermUsers, audited, s.newToken)
	s.route("DELETE /api/v1/users/{name}/tokens/{id}", access.PermUsers, audited, s.revokeToken)
	s.route("POST /api/v1/keys/rotate", access.PermKeys, audited, s.rotateKeys)
}
