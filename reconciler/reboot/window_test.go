package reboot

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone database is linked in: no system tzdata needed
)

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"03:00-05:00", "03:00-05:00", true},
		{" 3:00 - 5:30 ", "03:00-05:30", true},
		{"23:00-01:00", "23:00-01:00", true},
		{"22:00-24:00", "22:00-24:00", true},
		{"03:00", "", false},
		{"03:00-03:00", "", false},
		{"25:00-01:00", "", false},
		{"03:60-04:00", "", false},
		{"24:30-01:00", "", false},
		{"3-5", "", false},
		{"aa:bb-cc:dd", "", false},
		{"-01:00-02:00", "", false},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseWindow(%q): got error %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && w.String() != tt.want {
			t.Errorf("ParseWindow(%q): got %v, want %v", tt.in, w, tt.want)
		}
	}
}

func day(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2024-06-10 "+hhmm, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowContainsAndNextOpen(t *testing.T) {
	night, _ := ParseWindow("03:00-05:00")
	cross, _ := ParseWindow("23:00-01:00")
	tests := []struct {
		name     string
		w        Window
		now      time.Time
		contains bool
		next     time.Time
	}{
		{"before", night, day("02:59"), false, day("03:00")},
		{"at start", night, day("03:00"), true, day("03:00")},
		{"inside", night, day("04:59"), true, day("04:59")},
		{"at end", night, day("05:00"), false, day("03:00").AddDate(0, 0, 1)},
		{"evening", night, day("22:00"), false, day("03:00").AddDate(0, 0, 1)},
		{"cross before", cross, day("22:00"), false, day("23:00")},
		{"cross late evening", cross, day("23:30"), true, day("23:30")},
		{"cross after midnight", cross, day("00:30"), true, day("00:30")},
		{"cross at end", cross, day("01:00"), false, day("23:00")},
		{"cross midday", cross, day("12:00"), false, day("23:00")},
	}
	for _, tt := range tests {
		if got := tt.w.Contains(tt.now); got != tt.contains {
			t.Errorf("%s: Contains: got %v, want %v", tt.name, got, tt.contains)
		}
		if got := tt.w.NextOpen(tt.now); !got.Equal(tt.next) {
			t.Errorf("%s: NextOpen: got %v, want %v", tt.name, got, tt.next)
		}
	}
}

// A window is wall-clock time: across a daylight-saving change the next
// opening is still at 03:00 local time.
func TestWindowDaylightSaving(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := ParseWindow("03:00-05:00")
	// 2024-03-31 02:00 CET jumps to 03:00 CEST.
	now := time.Date(2024, 3, 30, 12, 0, 0, 0, berlin)
	got := w.NextOpen(now)
	want := time.Date(2024, 3, 31, 3, 0, 0, 0, berlin)
	if !got.Equal(want) || got.Hour() != 3 {
		t.Errorf("got %v, want %v", got, want)
	}
	if !w.Contains(time.Date(2024, 10, 27, 4, 0, 0, 0, berlin)) {
		t.Errorf("04:00 on the day summer time ends: got outside, want inside")
	}
}
