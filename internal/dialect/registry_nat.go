package dialect

// natFormats are the NAT log formats of Juniper, Cisco, A10, F5, Huawei
// and H3C.
var natFormats = []Format{
	{
		Name: "juniper-srx", Vendor: "Juniper",
		What: "SRX RT_FLOW session logs (structured and unstructured, with APPTRACK and _LS variants) and RT_NAT port block allocation logs",
		New:  func() Parser { return juniperSRX{} },
	},
	{
		Name: "juniper-mx", Vendor: "Juniper",
		What: "MX services-card NAT logs (MS-MPC/MS-MIC jservices-nat port blocks and session logs, MS-PIC FWNAT flows) and MX-SPC3 RT_FLOW _USF and RT_NAT port block logs",
		New:  func() Parser { return juniperMX{} },
	},
	{
		Name: "cisco-asa", Vendor: "Cisco",
		What:     "ASA and FTD translation logs (305009-305012) and connection logs (302013-302016, 302020-302021), teardowns joined to their builds by connection ID",
		New:      func() Parser { return newASANAT(asaNATConns) },
		Stateful: true,
	},
	{
		Name: "cisco-ios", Vendor: "Cisco",
		What: "IOS and IOS-XE NAT translation logs (%IPNAT- and %NAT-6-LOG_TRANSLATION)",
		New:  func() Parser { return iosNAT{} },
	},
	{
		Name: "cisco-iosxr-cgn", Vendor: "Cisco",
		What: "IOS-XR carrier-grade NAT syslog (NAT44 and DS-Lite, user-based port blocks and session-based mappings)",
		New:  func() Parser { return xrCGN{} },
	},
	{
		Name: "a10-cgn", Vendor: "A10 Networks",
		What: "Thunder CGN (ACOS) port, session and port batch logs, in CEF and in ASCII",
		New:  func() Parser { return a10CGN{} },
	},
	{
		Name: "f5-lsn", Vendor: "F5",
		What: "BIG-IP CGNAT large scale NAT logs (LSN_ADD, LSN_DELETE, inbound and port block events)",
		New:  func() Parser { return f5LSN{} },
	},
	{
		Name: "huawei", Vendor: "Huawei",
		What: "USG and HiSecEngine SECLOG session logs (SESSION_BUILT, SESSION_TEARDOWN) with source NAT",
		New:  func() Parser { return huaweiNAT{} },
	},
	{
		Name: "h3c", Vendor: "H3C",
		What: "Comware V7 session fast logs with NAT, NAT444 user logs (China Telecom format) and Comware V5 USERLOG NAT logs",
		New:  func() Parser { return h3cNAT{} },
	},
}
