package imap

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestUIDList holds the runs to a plain slice of UIDs through appends and removals
// (gaps from erased posts): sequence numbers to UIDs and back, iteration, and the
// messages a sequence or UID set names.
func TestUIDList(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var l uidList
		var want []imap.UID
		u := imap.UID(1 + rnd.IntN(5))
		for range rnd.IntN(300) {
			n := imap.UID(1 + rnd.IntN(20))
			l.addRange(u, u+n-1)
			for v := u; v < u+n; v++ {
				want = append(want, v)
			}
			u += n + imap.UID(rnd.IntN(3)) // a gap, or a run that touches the one before
		}
		for range rnd.IntN(len(want) + 1) {
			if len(want) == 0 {
				break
			}
			q := uint32(1 + rnd.IntN(len(want)))
			l.remove(q)
			want = slices.Delete(want, int(q-1), int(q))
		}
		check := func(what string) {
			t.Helper()
			if l.len() != uint32(len(want)) {
				t.Fatalf("round %d, %s: len %d, want %d", round, what, l.len(), len(want))
			}
			var got []imap.UID
			for q, v := range l.all() {
				if v != want[q-1] {
					t.Fatalf("round %d, %s: seq %d is UID %d, want %d", round, what, q, v, want[q-1])
				}
				got = append(got, v)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, %s: UIDs %v, want %v", round, what, got, want)
			}
			for i, v := range want {
				if l.at(uint32(i+1)) != v || l.search(v) != uint32(i+1) {
					t.Fatalf("round %d, %s: at(%d) = %d, search(%d) = %d", round, what, i+1, l.at(uint32(i+1)), v, l.search(v))
				}
			}
			if len(want) > 0 && l.last() != want[len(want)-1] {
				t.Fatalf("round %d, %s: last %d", round, what, l.last())
			}
		}
		check("after removals")
		// Sets: the view's resolve against the slice.
		sel := &selection{uids: l, gone: map[imap.UID]bool{}}
		for _, v := range want {
			if rnd.IntN(10) == 0 {
				sel.gone[v] = true
			}
		}
		for range 20 {
			var seqs imap.SeqSet
			var uids imap.UIDSet
			for range 1 + rnd.IntN(3) {
				a, b := uint32(rnd.IntN(len(want)+3)), uint32(rnd.IntN(len(want)+3))
				seqs.AddRange(a, b) // 0 is *
				x, y := imap.UID(rnd.IntN(int(u)+3)), imap.UID(rnd.IntN(int(u)+3))
				uids.AddRange(x, y)
			}
			for _, set := range []imap.NumSet{seqs, uids} {
				got, err := sel.resolve(set)
				if err != nil {
					t.Fatal(err)
				}
				var exp []msgRef
				for i, v := range want {
					q := uint32(i + 1)
					in := false
					switch s := set.(type) {
					case imap.SeqSet:
						in = inSeqSet(s, q, uint32(len(want)))
					case imap.UIDSet:
						in = inUIDSet(s, v, uint32(l.last()))
					}
					if in && !sel.gone[v] {
						exp = append(exp, msgRef{seq: q, uid: v})
					}
				}
				if !slices.Equal(got, exp) {
					t.Fatalf("round %d: resolve(%v) = %v, want %v", round, set, got, exp)
				}
			}
		}
		above := want[len(want)/2:]
		if len(want) > 0 {
			a := l.above(want[len(want)/2] - 1)
			var got []imap.UID
			for _, v := range a.all() {
				got = append(got, v)
			}
			if !slices.Equal(got, above) {
				t.Fatalf("round %d: above %v, want %v", round, got, above)
			}
		}
	}
}

// TestRefsOf: the posts found by the index become candidates with their sequence
// numbers, in view order, whatever the gaps, without the gone ones and the ids the
// view does not hold.
func TestRefsOf(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for round := range 30 {
		sel := &selection{gone: map[imap.UID]bool{}}
		var view []imap.UID
		u := imap.UID(1 + rnd.IntN(5))
		for range rnd.IntN(100) {
			n := imap.UID(1 + rnd.IntN(10))
			sel.uids.addRange(u, u+n-1)
			for v := u; v < u+n; v++ {
				view = append(view, v)
			}
			u += n + imap.UID(rnd.IntN(4))
		}
		ids := map[int64]bool{0: true, -1: true, int64(u) + 5: true}
		var want []msgRef
		for i, v := range view {
			if rnd.IntN(10) == 0 {
				sel.gone[v] = true
			}
			if rnd.IntN(3) == 0 {
				ids[int64(v)] = true
				if !sel.gone[v] {
					want = append(want, msgRef{seq: uint32(i + 1), uid: v})
				}
			}
			if i > 0 && view[i-1]+1 < v && rnd.IntN(2) == 0 {
				ids[int64(v)-1] = true // in a gap
			}
		}
		if got := sel.refsOf(ids); !slices.Equal(got, want) {
			t.Fatalf("round %d: refsOf = %v, want %v", round, got, want)
		}
	}
}
