package media

import (
	"math"
	"time"
)

// linkSample is what one quality update sees of a link.
type linkSample struct {
	Connected bool
	NoMedia   bool          // media the peer says it sends has not arrived for a while
	RTT       time.Duration // round trip from RTCP; 0 when not measured yet
	Jitter    time.Duration // interarrival jitter of what we receive
	Loss      float64       // fraction lost, 0..1, the worse direction
	Video     bool          // video is part of the call (loss weighs more)
}

// linkScore maps a sample to 0..100 with an E-model-like formula (as
// LiveKit's connection-quality scorer does):
//
//	effectiveDelay = RTT/2 + 2*jitter                                (ms)
//	delayEffect    = effectiveDelay/40, or (effectiveDelay-120)/10 above 160 ms
//	lossEffect     = loss% * 8 (audio only) or * 10 (with video)
//	score          = clamp(100 - delayEffect - lossEffect, 0, 100)
//
// So 1% loss with video is 90, 2% 80, 4% 60, 6% 40, 8% 20, 10% 0; a
// 300 ms RTT alone costs 4 points, 600 ms plus 50 ms jitter 28.
func linkScore(s linkSample) float64 {
	eff := float64(s.RTT)/float64(time.Millisecond)/2 + 2*float64(s.Jitter)/float64(time.Millisecond)
	delay := eff / 40
	if eff > 160 {
		delay = (eff - 120) / 10
	}
	w := 8.0
	if s.Video {
		w = 10
	}
	loss := math.Max(0, math.Min(1, s.Loss)) * 100 * w
	return math.Max(0, math.Min(100, 100-delay-loss))
}

// qualityFromScore cuts a score into TUICallKit's levels.
func qualityFromScore(score float64) Quality {
	switch {
	case score >= 85:
		return QualityExcellent
	case score >= 70:
		return QualityGood
	case score >= 50:
		return QualityPoor
	case score >= 30:
		return QualityBad
	}
	return QualityVbad
}

// Smoothing weights of the newest score: a worse score counts 80% at
// once (quality falls fast), a better one 40% (it rises over a few
// intervals: from 0 to Excellent takes four).
const (
	fallWeight = 0.8
	riseWeight = 0.4
)

// qualityScorer smooths one link's scores into a level. Down (not
// connected, or no media) is reported at once and counts as score 0.
type qualityScorer struct {
	score float64
	seen  bool
}

func (q *qualityScorer) update(s linkSample) Quality {
	if !s.Connected || s.NoMedia {
		q.score, q.seen = 0, true
		return QualityDown
	}
	n := linkScore(s)
	switch {
	case !q.seen:
		q.score, q.seen = n, true
	case n < q.score:
		q.score = fallWeight*n + (1-fallWeight)*q.score
	default:
		q.score = riseWeight*n + (1-riseWeight)*q.score
	}
	return qualityFromScore(q.score)
}
