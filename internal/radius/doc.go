// Package radius is Warden's RADIUS accounting server (RFC 2866): it turns
// the Accounting-Requests of BNGs and other NASes into session records,
// the login, logout, account, calling number and address that MPS Order
// 82 art. 7 requires to be kept.
//
// [New] validates a [Config], loads the vendor dictionaries and binds the
// UDP socket; [Server.Run] serves until its context ends. Each request
// goes to a [Sink] (an *ingest.Pipeline) with AddDurable, and is answered
// only once its record is durable: if storing fails the NAS gets no
// answer and retransmits, so no acknowledged request is ever lost.
//
//	srv, err := radius.New(radius.Config{Addr: ":1813", Clients: clients}, pipeline, log)
//	...
//	go srv.Run(ctx)
//
// # Requests
//
// A datagram is handled in this order; each step that fails drops it, with
// no answer, and counts it (see [Counters]):
//
//  1. its source address must be in a [Client]'s prefix (the longest
//     wins): else UnknownClient;
//  2. it must have a RADIUS header whose Length fits the datagram: else
//     Malformed;
//  3. its code must be Accounting-Request: else NotAccounting;
//  4. its Request Authenticator must be the MD5 that RFC 2866 §3 defines
//     with the client's secret (layeh.com/radius's IsAuthenticRequest,
//     the check its own PacketServer makes): else BadAuthenticator;
//  5. its attributes must fit the packet: else Malformed;
//  6. a retransmission (same source address, Identifier and Request
//     Authenticator within DuplicateWindow) is not stored again: it is
//     answered again if the first copy is durable, and dropped while that
//     copy is still being stored, whose answer then serves both;
//  7. the record is stored and the request answered (Stored).
//
// layeh.com/radius's PacketServer is not used: it cannot count why a
// packet was dropped, logs through the log package without limit, and
// remembers a request only while it is being handled, so it could not
// answer a retransmission of a request already stored.
//
// # Records
//
// Start, Interim-Update and Stop make a [record.KindSession] record whose
// Event is start, interim or stop. Accounting-On and Accounting-Off mean
// the NAS has (re)started or is stopping and every session it had open
// has ended (RFC 2866 §5.1); they carry no account, so they make a
// [record.KindEvent] record with Rule [RuleAccountingOn] or
// [RuleAccountingOff], Severity info and SrcAddr the NAS, which a query
// for a subscriber's sessions uses to close those left open. Record.Source
// is always the client's Name.
//
// Session fields come from these attributes (the first of each type):
//
//	Account           User-Name (1)
//	CallingStationID  Calling-Station-Id (31), else a vendor attribute
//	Addr              Framed-IP-Address (8), but not 255.255.255.254/.255,
//	                  else Framed-IPv6-Address (168, RFC 6911),
//	                  else a vendor attribute
//	IPv6Prefix        Framed-IPv6-Prefix (97, RFC 3162)
//	DelegatedPrefix   Delegated-IPv6-Prefix (123, RFC 4818)
//	NASAddr           NAS-IP-Address (4), else NAS-IPv6-Address (95),
//	                  else the packet's source address
//	NASPortID         NAS-Port-Id (87), else a vendor attribute
//	SessionID         Acct-Session-Id (44)
//	InputOctets       Acct-Input-Gigawords (52) × 2^32 + Acct-Input-Octets (42)
//	OutputOctets      Acct-Output-Gigawords (53) × 2^32 + Acct-Output-Octets (43)
//	TerminateCause    Acct-Terminate-Cause (49) by name: User-Request,
//	                  Lost-Carrier, ... NAS-Reboot (see [TerminateCauseName])
//	EventTime         Event-Timestamp (55) unless zero, else the receive
//	                  time less Acct-Delay-Time (41) seconds
//
// Prefixes with bits set past their length are masked. An authentic
// request that cannot be mapped (no Acct-Status-Type or User-Name, a
// status other than the five above, an attribute of the wrong size) is
// kept whole as a [record.KindRaw] record of Format [RawFormat], with the
// reason, and answered: the NAS would otherwise retransmit it forever, and
// the data is kept either way.
//
// # Vendor attributes
//
// Where a NAS sends a field only in a Vendor-Specific attribute, the
// attribute is found by name in the FreeRADIUS dictionaries of
// Config.Dictionaries, which give its vendor number, sub-attribute number,
// type and VSA layout. Standard attributes always win. The names read:
//
//	Huawei-Framed-IPv6-Address (2011/158, ipv6addr)  Addr
//	Huawei-IPHost-Addr (2011/60, "IP MAC")           Addr, CallingStationID
//	Huawei-User-Mac (2011/153)                       CallingStationID
//	H3C-Ip-Host-Addr (25506/60, "IP MAC")            Addr, CallingStationID
//	H3C-NAS-Port-Name (25506/230)                    NASPortID
//	Cisco-NAS-Port (9/2)                             NASPortID
//
// ZTE's dictionary defines no such attribute (ZTE BNGs send the standard
// ones), and no vendor documents an account outside User-Name. Load the
// vendor files (dictionary.huawei, dictionary.h3c, ...), not FreeRADIUS's
// top-level dictionary, which uses RFC 6929 types the parser lacks.
//
// # Limits
//
// A NAS that changes Acct-Delay-Time when it retransmits must also change
// the Identifier (RFC 2866 §5.2), so such a retry is a new request to the
// duplicate cache and is stored again, with about the same event time.
// The duplicate cache holds at most 524,288 requests (~40 MiB): above
// ~8,700 requests/s it remembers a request for less than the default 30s
// window (5-10s at 50,000/s); a retransmission it has forgotten is stored
// twice, never lost. At most 8,192 requests are handled at once; past
// that the socket buffer queues datagrams. Status-Server (RFC 5997) is not
// answered: it counts as NotAccounting.
package radius
