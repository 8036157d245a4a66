package media

import (
	"testing"
	"time"
)

func TestQualityFromLinkSample(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		s    linkSample
		want Quality
	}{
		{"a clean loopback link is excellent", linkSample{Connected: true, RTT: ms}, QualityExcellent},
		{"1% video loss is still excellent", linkSample{Connected: true, Loss: 0.01, Video: true}, QualityExcellent},
		{"2% video loss is good", linkSample{Connected: true, Loss: 0.02, Video: true}, QualityGood},
		{"3% audio loss is good", linkSample{Connected: true, Loss: 0.03}, QualityGood},
		{"4% video loss is poor", linkSample{Connected: true, Loss: 0.04, Video: true}, QualityPoor},
		{"6% video loss is bad", linkSample{Connected: true, Loss: 0.06, Video: true}, QualityBad},
		{"10% video loss is very bad", linkSample{Connected: true, Loss: 0.10, Video: true}, QualityVbad},
		{"a 300 ms RTT alone is excellent", linkSample{Connected: true, RTT: 300 * ms}, QualityExcellent},
		{"600 ms RTT with 50 ms jitter is good", linkSample{Connected: true, RTT: 600 * ms, Jitter: 50 * ms}, QualityGood},
		{"800 ms RTT with 50 ms jitter is poor", linkSample{Connected: true, RTT: 800 * ms, Jitter: 50 * ms}, QualityPoor},
		{"1 s RTT with 100 ms jitter is bad", linkSample{Connected: true, RTT: time.Second, Jitter: 100 * ms}, QualityBad},
		{"2 s RTT is very bad", linkSample{Connected: true, RTT: 2 * time.Second, Jitter: 100 * ms}, QualityVbad},
		{"a disconnected link is down", linkSample{Connected: false}, QualityDown},
		{"a link without media is down", linkSample{Connected: true, NoMedia: true}, QualityDown},
		{"loss above 100% is clamped", linkSample{Connected: true, Loss: 3}, QualityVbad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var q qualityScorer
			if got := q.update(c.s); got != c.want {
				t.Errorf("quality = %v (score %.1f), want %v", got, linkScore(c.s), c.want)
			}
		})
	}
}

func TestQualityFallsFastAndRisesSlowly(t *testing.T) {
	good := linkSample{Connected: true}
	bad := linkSample{Connected: true, Loss: 0.08, Video: true} // score 20
	var q qualityScorer
	if got := q.update(good); got != QualityExcellent {
		t.Fatalf("start = %v", got)
	}
	// One bad interval takes it from Excellent straight to Bad or worse.
	if got := q.update(bad); got < QualityBad || got > QualityVbad {
		t.Errorf("after one bad interval = %v, want Bad or worse", got)
	}
	// Recovery takes several intervals, through the levels in between.
	var path []Quality
	for i := 0; i < 8; i++ {
		path = append(path, q.update(good))
	}
	if path[0] == QualityExcellent {
		t.Errorf("recovered to Excellent in one interval: %v", path)
	}
	if path[len(path)-1] != QualityExcellent {
		t.Errorf("never recovered: %v", path)
	}
	for i := 1; i < len(path); i++ {
		if path[i] > path[i-1] {
			t.Errorf("got worse while the link was good: %v", path)
		}
	}
	// Down is immediate, and recovering from it is gradual too.
	if got := q.update(linkSample{}); got != QualityDown {
		t.Errorf("disconnected = %v", got)
	}
	if got := q.update(good); got == QualityExcellent {
		t.Errorf("Down -> Excellent in one interval")
	}
}

func TestQualityString(t *testing.T) {
	for q, want := range map[Quality]string{QualityUnknown: "Unknown", QualityExcellent: "Excellent", QualityGood: "Good",
		QualityPoor: "Poor", QualityBad: "Bad", QualityVbad: "Vbad", QualityDown: "Down", 9: "Quality(9)"} {
		if q.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(q), q.String(), want)
		}
	}
}
