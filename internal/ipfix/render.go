package ipfix

import (
	"encoding/hex"
	"net/netip"
	"strconv"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// ieNames names the elements that event details and raw records spell
// out: the NAT elements of log-formats.md §9 and the NSEL ones of §2.4.
// Other elements are written ie<N>, enterprise-specific ones e<PEN>.<N>.
var ieNames = map[uint16]string{
	ieProtocol:         "protocolIdentifier",
	ieSrcPort:          "sourceTransportPort",
	ieSrcIPv4:          "sourceIPv4Address",
	10:                 "ingressInterface",
	ieDstPort:          "destinationTransportPort",
	ieDstIPv4:          "destinationIPv4Address",
	14:                 "egressInterface",
	ieFlowEndUptime:    "flowEndSysUpTime",
	ieFlowStartUptime:  "flowStartSysUpTime",
	ieSrcIPv6:          "sourceIPv6Address",
	ieDstIPv6:          "destinationIPv6Address",
	ieFlowID:           "flowId",
	ieFlowStartSeconds: "flowStartSeconds",
	ieFlowEndSeconds:   "flowEndSeconds",
	ieFlowStartMillis:  "flowStartMilliseconds",
	ieFlowEndMillis:    "flowEndMilliseconds",
	176:                "icmpTypeIPv4",
	177:                "icmpCodeIPv4",
	iePostSrcIPv4:      "postNATSourceIPv4Address",
	iePostDstIPv4:      "postNATDestinationIPv4Address",
	iePostSrcPort:      "postNAPTSourceTransportPort",
	iePostDstPort:      "postNAPTDestinationTransportPort",
	229:                "natOriginatingAddressRealm",
	ieNATEvent:         "natEvent",
	231:                "initiatorOctets",
	232:                "responderOctets",
	ieFirewallEvent:    "firewallEvent",
	ieIngressVRFID:     "ingressVRFID",
	235:                "egressVRFID",
	236:                "VRFname",
	iePostSrcIPv6:      "postNATSourceIPv6Address",
	iePostDstIPv6:      "postNATDestinationIPv6Address",
	ieNATPoolID:        "natPoolId",
	ieNATPoolName:      "natPoolName",
	ieObsSeconds:       "observationTimeSeconds",
	ieObsMillis:        "observationTimeMilliseconds",
	ieObsMicros:        "observationTimeMicroseconds",
	iePortRangeStart:   "portRangeStart",
	iePortRangeEnd:     "portRangeEnd",
	iePortRangeStep:    "portRangeStepSize",
	iePortRangeNum:     "portRangeNumPorts",
	463:                "natInstanceID",
	464:                "internalAddressRealm",
	465:                "externalAddressRealm",
	ieQuotaEvent:       "natQuotaExceededEvent",
	ieThresholdEvent:   "natThresholdEvent",
	33000:              "NF_F_INGRESS_ACL_ID",
	33001:              "NF_F_EGRESS_ACL_ID",
	nselExtEvent:       "NF_F_FW_EXT_EVENT",
	nselUsername:       "NF_F_USERNAME",
	nselXlateSrcAddr:   "NF_F_XLATE_SRC_ADDR_84",
	nselXlateDstAddr:   "NF_F_XLATE_DST_ADDR_84",
	nselXlateSrcPort:   "NF_F_XLATE_SRC_PORT_84",
	nselXlateDstPort:   "NF_F_XLATE_DST_PORT_84",
	nselFirewallEvent:  "NF_F_FW_EVENT_84",
}

// addressIEs and stringIEs are written as addresses and quoted strings.
var (
	addressIEs = map[uint16]bool{ieSrcIPv4: true, ieDstIPv4: true, ieSrcIPv6: true, ieDstIPv6: true,
		iePostSrcIPv4: true, iePostDstIPv4: true, iePostSrcIPv6: true, iePostDstIPv6: true,
		nselXlateSrcAddr: true, nselXlateDstAddr: true}
	stringIEs = map[uint16]bool{ieNATPoolName: true, 236: true, nselUsername: true}
)

// appendFields appends a data record's fields as text, "name=value"
// separated by spaces, in template order: addresses as addresses, strings
// quoted, other integers of up to 8 bytes in decimal, anything else in
// hex.
func appendFields(dst []byte, values []netflow.DataField) []byte {
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ' ')
		}
		b, _ := v.Value.([]byte)
		known := !v.PenProvided
		switch name := ieNames[v.Type]; {
		case v.PenProvided:
			dst = append(dst, 'e')
			dst = strconv.AppendUint(dst, uint64(v.Pen), 10)
			dst = append(dst, ".ie"...)
			dst = strconv.AppendUint(dst, uint64(v.Type), 10)
		case name != "":
			dst = append(dst, name...)
		default:
			dst = append(dst, "ie"...)
			dst = strconv.AppendUint(dst, uint64(v.Type), 10)
		}
		dst = append(dst, '=')
		ip, isAddr := netip.AddrFromSlice(b)
		n, isUint := uintValue(b)
		switch {
		case known && addressIEs[v.Type] && isAddr:
			dst = ip.AppendTo(dst)
		case known && stringIEs[v.Type]:
			dst = strconv.AppendQuote(dst, string(b))
		case known && isUint:
			dst = strconv.AppendUint(dst, n, 10)
		default:
			dst = append(dst, "0x"...)
			dst = hex.AppendEncode(dst, b)
		}
	}
	return dst
}
