package imap

import (
	"iter"
	"sort"

	"github.com/emersion/go-imap/v2"
)

// uidList is the UIDs of a selected mailbox in ascending order, kept as runs of
// consecutive UIDs: an archive of a million posts is a handful of runs, so a
// session holds little and maps sequence numbers to UIDs and back by binary search.
type uidList struct {
	runs []uidRun
	n    uint32 // the number of UIDs
}

// uidRun is the UIDs first to last; seq is the sequence number of first.
type uidRun struct {
	first, last imap.UID
	seq         uint32
}

func (r uidRun) len() uint32 { return uint32(r.last-r.first) + 1 }

// len is the number of UIDs.
func (l *uidList) len() uint32 { return l.n }

// last is the highest UID, 0 for none.
func (l *uidList) last() imap.UID {
	if len(l.runs) == 0 {
		return 0
	}
	return l.runs[len(l.runs)-1].last
}

// addRange appends the UIDs first to last, all above l.last().
func (l *uidList) addRange(first, last imap.UID) {
	if first > last {
		return
	}
	if k := len(l.runs); k > 0 && l.runs[k-1].last+1 == first {
		l.runs[k-1].last = last
	} else {
		l.runs = append(l.runs, uidRun{first: first, last: last, seq: l.n + 1})
	}
	l.n += uint32(last-first) + 1
}

// run returns the index of the run holding sequence number seq (1 to l.n).
func (l *uidList) run(seq uint32) int {
	return sort.Search(len(l.runs), func(i int) bool { return l.runs[i].seq+l.runs[i].len() > seq })
}

// at returns the UID of sequence number seq (1 to l.n).
func (l *uidList) at(seq uint32) imap.UID {
	r := l.runs[l.run(seq)]
	return r.first + imap.UID(seq-r.seq)
}

// search returns the sequence number of the first UID at or above u: l.n+1 when
// there is none.
func (l *uidList) search(u imap.UID) uint32 {
	i := sort.Search(len(l.runs), func(i int) bool { return l.runs[i].last >= u })
	if i == len(l.runs) {
		return l.n + 1
	}
	r := l.runs[i]
	if u <= r.first {
		return r.seq
	}
	return r.seq + uint32(u-r.first)
}

// remove drops the UID of sequence number seq (1 to l.n); the ones after it move
// down by one.
func (l *uidList) remove(seq uint32) {
	i := l.run(seq)
	r := &l.runs[i]
	u := r.first + imap.UID(seq-r.seq)
	switch {
	case r.first == r.last:
		l.runs = append(l.runs[:i], l.runs[i+1:]...)
		i--
	case u == r.first:
		r.first++
	case u == r.last:
		r.last--
	default:
		tail := uidRun{first: u + 1, last: r.last, seq: seq}
		r.last = u - 1
		l.runs = append(l.runs[:i+1], append([]uidRun{tail}, l.runs[i+1:]...)...)
		i++
	}
	for j := i + 1; j < len(l.runs); j++ {
		l.runs[j].seq--
	}
	l.n--
}

// from yields the sequence numbers and UIDs from sequence number seq on.
func (l *uidList) from(seq uint32) iter.Seq2[uint32, imap.UID] {
	return func(yield func(uint32, imap.UID) bool) {
		if seq < 1 {
			seq = 1
		}
		if seq > l.n {
			return
		}
		for i := l.run(seq); i < len(l.runs); i++ {
			r := l.runs[i]
			for u := r.first + imap.UID(max(seq, r.seq)-r.seq); ; u++ {
				if !yield(r.seq+uint32(u-r.first), u) {
					return
				}
				if u == r.last {
					break
				}
			}
		}
	}
}

// all yields every sequence number and UID.
func (l *uidList) all() iter.Seq2[uint32, imap.UID] { return l.from(1) }

// above returns the UIDs above u.
func (l *uidList) above(u imap.UID) uidList {
	var out uidList
	for _, r := range l.runs {
		if r.last > u {
			out.addRange(max(r.first, u+1), r.last)
		}
	}
	return out
}
