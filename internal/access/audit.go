package access

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Appender stores records durably; *store.Store is one.
type Appender interface {
	Append(recs []*record.Record) ([]record.ID, error)
}

// Auditor writes audit records. Log returns only once the record is
// durable, so a read whose audit record could not be written must not be
// answered.
type Auditor struct {
	st     Appender
	source string
	now    func() time.Time
}

// NewAuditor returns an auditor that writes into st under the source name.
func NewAuditor(st Appender, source string, now func() time.Time) *Auditor {
	if now == nil {
		now = time.Now
	}
	return &Auditor{st: st, source: source, now: now}
}

// Entry is what one audit record says.
type Entry struct {
	Actor   string     // the user, or "anonymous"
	Addr    netip.Addr // where the request came from
	Action  string     // the route or operation, like "GET /api/v1/records/{id}"
	Query   string     // what was asked: parameters, target
	CaseRef string     // the case reference, when one was given
	Count   uint64     // records returned
	Outcome string     // "ok", or "denied: ..." or "error: ..."
}

// Log writes one audit record and returns its ID once it is durable.
func (a *Auditor) Log(e Entry) (record.ID, error) {
	now := a.now().UTC()
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	r := &record.Record{Kind: record.KindAudit, EventTime: now, ReceiveTime: now, Source: a.source,
		Audit: &record.Audit{Actor: e.Actor, Addr: e.Addr.Unmap(), Action: trim(e.Action), Query: trim(e.Query),
			CaseRef: trim(e.CaseRef), Count: e.Count, Outcome: trim(e.Outcome)}}
	ids, err := a.st.Append([]*record.Record{r})
	if err != nil {
		return record.ID{}, fmt.Errorf("write audit record: %w", err)
	}
	return ids[0], nil
}

func trim(s string) string {
	if len(s) > 1024 {
		return s[:1024]
	}
	return s
}
