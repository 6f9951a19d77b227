// Package ipfix collects NAT events that devices export over IPFIX (RFC
// 7011, version 10) and NetFlow v9 (RFC 3954), and turns them into
// records: RFC 8158 NAT event logging, Juniper's draft numbering of it,
// and Cisco ASA NSEL.
//
// A [Server] listens on one UDP socket. [New] checks the [Config] and
// binds; [Server.Run] receives until its context ends and hands each
// record to a [Sink] without waiting (the ingest pipeline's TryAdd), so a
// full queue is counted as a drop, never a stall. [Server.Stats] returns
// the counters, in total and per [Exporter]:
//
//	srv, err := ipfix.New(ipfix.Config{Addr: ":4739", Exporters: exporters}, pipeline, log)
//	...
//	go srv.Run(ctx)
//
// Packets are decoded with goflow2's netflow decoders. Each exporter
// transport address (a netip.AddrPort) has its own template system, keyed
// within by version, observation domain and template ID, so two exporters
// that reuse a template ID with different layouts are kept apart.
// Templates and options templates are stored, replaced, withdrawn (RFC
// 7011 §8.1, including withdraw-all) and bounded in number and size.
//
// # What becomes of a data record
//
// natEvent (230) is read with the exporter's numbering (log-formats.md §9
// for RFC 8158; §1.6 for Juniper, whose 14 and 15 are port blocks); a
// record without natEvent but with firewallEvent (233, or NSEL's 40005)
// is read as a flow event: created, deleted and update are the mapping's
// create, delete and interim when the record carries a translated source
// address, and everything else is no NAT event.
//
//   - Session, BIB and address-binding create and delete, and port block
//     allocation and de-allocation, become record.KindNAT records.
//   - Addresses exhausted, ports exhausted, quota exceeded and threshold
//     reached become record.KindEvent records with the rules
//     nat-addresses-exhausted (high), nat-ports-exhausted (medium),
//     nat-quota-exceeded (low) and nat-threshold-reached (low); the detail
//     names the event and lists every field of the record.
//   - Records with no event (flow records, options data) are skipped and
//     counted.
//   - A NAT event that cannot be kept as such (unknown code, no outside
//     address, malformed value, a non-contiguous port block) becomes a
//     record.KindRaw record whose Data lists its fields as text (Format
//     "ipfix-fields").
//   - A data set whose template has not arrived is kept as a raw record
//     of the set's bytes (Format "ipfix"), as is a set or packet that does
//     not decode. The template is not waited for.
//
// Fields map as follows; the NAT record never gets a value the exporter
// did not send, and all-zero addresses count as absent:
//
//	InsideAddr     sourceIPv6Address (27), else sourceIPv4Address (8); DS-Lite's B4 address wins
//	InsidePort     sourceTransportPort (7)
//	OutsideAddr    postNATSourceIPv4Address (225), else postNATSourceIPv6Address (281), NSEL 40001
//	OutsidePort    postNAPTSourceTransportPort (227), NSEL 40003; port blocks: portRangeStart (361)
//	OutsidePortEnd port blocks: portRangeEnd (362), else portRangeStart + portRangeNumPorts (364) - 1
//	DestAddr       postNATDestinationIPv4Address (226, NSEL 40002) or IPv6 (282), else
//	               destinationIPv4Address (12) or IPv6 (28): a NAT64 session's real IPv4 peer
//	DestPort       with a post-NAT destination, postNAPTDestinationTransportPort (228, NSEL 40004)
//	               if not zero; else destinationTransportPort (11)
//	Protocol       protocolIdentifier (4)
//	VRF            ingressVRFID (234) in decimal
//	Pool           natPoolName (284), else natPoolId (283) in decimal
//	EventTime      observationTimeMilliseconds (323), observationTimeMicroseconds (324),
//	               observationTimeSeconds (322); else the flow's end for deletions or its start
//	               otherwise (flow*Milliseconds 152/153, flow*Seconds 150/151, NetFlow v9
//	               sysUpTime 22/21); else the header's export time
//
// # Limits
//
// UDP senders can be spoofed, so what one packet can cost is bounded:
// templates of more than 512 fields, or with a field of length 0, are
// refused; one exporter address holds at most 16,384 units of templates
// (a unit per field plus 8 per template) and all together 1,048,576;
// template records are checked to fit their set before goflow2 allocates
// their fields; a packet makes at most 8 raw records set by set, then
// keeps its rest whole; at most 4,096 exporter addresses hold templates
// (the one seen least recently goes first) and an address silent for an
// hour loses them.
//
// An [Encoder] writes IPFIX and NetFlow v9 messages of NAT events, for
// tests and tools.
package ipfix
