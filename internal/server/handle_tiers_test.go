package server

import (
	"reflect"
	"testing"

	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestPartitionTiersOfIsDecodable: whatever the tier view holds, the wire
// form passes the client's strict decoder: empty ranges become 0..0,
// archive runs are sorted, empty ones dropped, overlapping ones merged.
func TestPartitionTiersOfIsDecodable(t *testing.T) {
	v := tiered.View{NextOffset: 50, L1: tiered.Range{First: 50, Next: 50}, L2: tiered.Range{First: 30, Next: 50},
		L3: []tiered.Range{{First: 20, Next: 30}, {First: 5, Next: 5}, {First: 0, Next: 12}, {First: 10, Next: 15}}}
	got := partitionTiersOf(3, wire.TierArchive, v)
	want := wire.PartitionTiers{PartitionID: 3, Tiers: wire.TierArchive, NextOffset: 50,
		Local: wire.TierRange{First: 30, Next: 50}, Archive: []wire.TierRange{{First: 0, Next: 15}, {First: 20, Next: 30}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	decoded, err := wire.DecodePartitionTiers(wire.AppendPartitionTiers(nil, []wire.PartitionTiers{got}))
	if err != nil || !reflect.DeepEqual(decoded, []wire.PartitionTiers{want}) {
		t.Fatalf("decoded %+v, %v", decoded, err)
	}
	if v.L3[0].First != 20 {
		t.Error("the view's runs were reordered in place")
	}
}
