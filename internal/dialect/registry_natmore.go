package dialect

// natFormatsMore are the NAT log formats of Fortinet, Palo Alto, MikroTik,
// 6WIND, NFWare, VPP and Linux conntrack.
var natFormatsMore = []Format{}
