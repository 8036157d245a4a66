package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/signaling"
)

// historyView is the list of recent calls: incoming, outgoing and missed,
// with when, who, the media and how long; each with a redial button.
type historyView struct {
	u     *ui
	obj   fyne.CanvasObject
	list  *widget.List
	empty *widget.Label
	shown []HistoryEntry
}

func newHistoryView(u *ui) *historyView {
	v := &historyView{u: u}
	v.list = widget.NewList(
		func() int { return len(v.shown) },
		func() fyne.CanvasObject { return newHistoryRow(u) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.shown) {
				o.(*historyRow).set(v.shown[id])
			}
		},
	)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.empty = widget.NewLabelWithStyle(lang.L("No calls yet."), fyne.TextAlignCenter, fyne.TextStyle{})
	v.obj = container.NewBorder(header(lang.L("Recent calls"), u.m.Back), nil, nil, nil,
		container.NewStack(v.list, container.NewCenter(v.empty)))
	return v
}

func (v *historyView) object() fyne.CanvasObject { return v.obj }

func (v *historyView) setShown(bool) {}

func (v *historyView) refresh(p Part) {
	if p&(PartHistory|PartContacts) == 0 {
		return
	}
	v.shown = v.u.m.History.Entries()
	v.list.Refresh()
	if setVisible(v.empty, len(v.shown) == 0) {
		relayout(v.obj)
	}
}

// historyText is an entry's second line: "Missed video call",
// "Outgoing voice call · 02:13", "Outgoing video call · declined".
func historyText(e HistoryEntry) string {
	s := historyKindText(e)
	var outcome string
	switch e.Outcome {
	case OutcomeAnswered:
		outcome = formatCallDuration(time.Duration(e.Duration) * time.Second)
	case OutcomeDeclined:
		outcome = lang.L("declined")
	case OutcomeNoAnswer:
		if e.Kind == HistoryMissed {
			return s
		}
		outcome = lang.L("no answer")
	case OutcomeBusy:
		outcome = lang.L("busy")
	case OutcomeCancelled:
		if e.Kind == HistoryMissed {
			return s
		}
		outcome = lang.L("cancelled")
	case OutcomeElsewhere:
		outcome = lang.L("answered on another device")
	default:
		outcome = lang.L("failed")
	}
	return s + " · " + outcome
}

// historyKindText is "Missed video call", "Outgoing group voice call", ...
func historyKindText(e HistoryEntry) string {
	video := e.MediaType == signaling.Video
	switch e.Kind {
	case HistoryMissed:
		switch {
		case e.IsGroup && video:
			return lang.L("Missed group video call")
		case e.IsGroup:
			return lang.L("Missed group voice call")
		case video:
			return lang.L("Missed video call")
		}
		return lang.L("Missed voice call")
	case HistoryIncoming:
		switch {
		case e.IsGroup && video:
			return lang.L("Incoming group video call")
		case e.IsGroup:
			return lang.L("Incoming group voice call")
		case video:
			return lang.L("Incoming video call")
		}
		return lang.L("Incoming voice call")
	}
	switch {
	case e.IsGroup && video:
		return lang.L("Outgoing group video call")
	case e.IsGroup:
		return lang.L("Outgoing group voice call")
	case video:
		return lang.L("Outgoing video call")
	}
	return lang.L("Outgoing voice call")
}

// historyWhen is an entry's time: the clock for today, else the date.
func historyWhen(at, now time.Time) string {
	at = at.Local()
	y1, m1, d1 := at.Date()
	y2, m2, d2 := now.Local().Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return at.Format("15:04")
	}
	// The layouts are Go's, translated: "1月2日 15:04" in Chinese.
	if y1 == y2 {
		return at.Format(lang.L("Jan 2, 15:04"))
	}
	return at.Format(lang.L("Jan 2 2006"))
}

// historyRow is one line of the history.
type historyRow struct {
	widget.BaseWidget
	u       *ui
	e       HistoryEntry
	icon    *widget.Icon
	who     *widget.Label
	what    *widget.Label
	when    *widget.Label
	redial  *widget.Button
	join    *widget.Button
	joinBox *fyne.Container // the join button, shown for a call going on
	content *fyne.Container
}

func newHistoryRow(u *ui) *historyRow {
	r := &historyRow{u: u}
	r.icon = widget.NewIcon(theme.MailReplyIcon())
	r.who = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.who.Truncation = fyne.TextTruncateEllipsis
	r.what = widget.NewLabel("")
	r.what.SizeName = theme.SizeNameCaptionText
	r.when = widget.NewLabel("")
	r.when.SizeName = theme.SizeNameCaptionText
	r.redial = widget.NewButtonWithIcon("", iconPhone, func() { u.m.Redial(r.e) })
	r.join = widget.NewButton(lang.L("Join"), func() { u.m.JoinCall(r.e) })
	r.join.Importance = widget.SuccessImportance
	r.joinBox = container.NewCenter(r.join)
	r.joinBox.Hide()
	r.content = container.NewBorder(nil, nil, r.icon, container.NewHBox(container.NewCenter(r.when), r.joinBox, container.NewCenter(r.redial)),
		container.NewVBox(r.who, r.what))
	r.ExtendBaseWidget(r)
	return r
}

func (r *historyRow) set(e HistoryEntry) {
	r.e = e
	r.who.SetText(r.u.m.names(e.Peers))
	r.what.SetText(historyText(e))
	r.when.SetText(historyWhen(e.At, r.u.m.now()))
	switch e.Kind {
	case HistoryMissed:
		r.icon.SetResource(theme.NewErrorThemedResource(theme.MailReplyIcon()))
		r.what.Importance = widget.DangerImportance
	case HistoryIncoming:
		r.icon.SetResource(theme.MailReplyIcon())
		r.what.Importance = widget.MediumImportance
	default:
		r.icon.SetResource(theme.MailForwardIcon())
		r.what.Importance = widget.MediumImportance
	}
	r.what.Refresh()
	if e.MediaType == signaling.Video {
		r.redial.SetIcon(iconCamera)
	} else {
		r.redial.SetIcon(iconPhone)
	}
	joinable := false
	for _, j := range r.u.m.Joinable() {
		joinable = joinable || j.GroupName == "" && j.Entry.Group == e.Group && j.Entry.At.Equal(e.At)
	}
	setVisible(r.joinBox, joinable)
	r.content.Refresh() // the texts' widths changed: lay the row out again
}

func (r *historyRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }
