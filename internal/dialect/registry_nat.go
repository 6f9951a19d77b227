package dialect

// natFormats are the NAT log formats of Juniper, Cisco, A10, F5, Huawei
// and H3C.
var natFormats = []Format{}
