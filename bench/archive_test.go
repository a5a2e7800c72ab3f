package main

import (
	"reflect"
	"testing"
	"time"
)

func TestPercentileMS(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want float64
	}{{50, 50}, {99, 99}, {100, 100}, {1, 1}, {0, 1}}
	for _, tt := range tests {
		if got := percentileMS(ds, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentileMS(ds[:1], 99); got != 100 {
		t.Errorf("one sample: %v", got)
	}
	if got := percentileMS(nil, 50); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestMedianFigures(t *testing.T) {
	runs := [][]figure{
		{{"import.seconds", "9.50"}, {"db.mb", "250.1"}},
		{{"import.seconds", "10.25"}, {"db.mb", "250.1"}},
		{{"import.seconds", "5.08"}, {"db.mb", "249.9"}},
	}
	want := []figure{{"import.seconds", "9.50"}, {"db.mb", "250.1"}}
	if got := medianFigures(runs); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseSizes(t *testing.T) {
	if got, err := parseSizes(" 20000,100000"); err != nil || !reflect.DeepEqual(got, []int{20000, 100000}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "20000,", "5", "x"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
