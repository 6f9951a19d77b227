package dialect

// natFormatsMore are the NAT log formats of Fortinet, Palo Alto, MikroTik,
// 6WIND, NFWare, VPP and Linux conntrack.
var natFormatsMore = []Format{
	{
		Name:   fortiName,
		Vendor: "Fortinet",
		What: "FortiGate traffic logs with source or destination NAT (key=value, FortiAnalyzer-forwarded or CEF), " +
			"hyperscale hardware session logs, and IP pool port block events (logids 22015, 22016, 22024)",
		New: func() Parser { return new(fortiGate) },
	},
	{
		Name:   paName,
		Vendor: "Palo Alto Networks",
		What:   "PAN-OS TRAFFIC logs (CSV) with NAT source or destination columns; a session end gives its start and end",
		New:    func() Parser { return new(paloAlto) },
	},
	{
		Name:   mtName,
		Vendor: "MikroTik",
		What:   "RouterOS firewall log lines (log=yes) with a NAT section, such as those of a srcnat rule",
		New:    func() Parser { return new(mikroTik) },
	},
	{
		Name:   ctName,
		Vendor: "Linux netfilter",
		What: "conntrack -E events and conntrack -L lines, and ulogd2 NFCT flows (LOGEMU, SYSLOG or JSON output), " +
			"for NAT done with iptables or nftables",
		New: func() Parser { return new(linuxCT) },
	},
	{
		Name:   vppName,
		Vendor: "FD.io VPP",
		What:   "NAT44, NAT64 and DS-Lite session and mapping logs after draft-ietf-behave-syslog-nat-logging (SADD, SDEL, APMADD, APMDEL)",
		New:    func() Parser { return new(vppNAT) },
	},
	{
		Name:   swName,
		Vendor: "6WIND",
		What:   "Turbo Router and vRouter CG-NAT connection (NEW CONN, DESTROY CONN) and port block (NEW BLOCK, DESTROY BLOCK) logs",
		New:    func() Parser { return new(sixWind) },
	},
	{
		Name:   nfName,
		Vendor: "NFWare",
		What:   "vCGNAT syslog address, port, session and port block mapping messages (A/D VRF ... INT ... EXT ...)",
		New:    func() Parser { return new(nfWare) },
	},
}
