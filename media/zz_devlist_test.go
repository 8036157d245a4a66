package media

import (
	"testing"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/microphone"
)

func TestList(t *testing.T) {
	for _, d := range driver.GetManager().Query(func(driver.Driver) bool { return true }) {
		t.Logf("driver %s %+v", d.ID(), d.Info())
	}
	ctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []malgo.DeviceType{malgo.Capture, malgo.Playback} {
		ds, _ := ctx.Devices(k)
		for _, d := range ds {
			t.Logf("%v %q %q default=%d", k, d.ID.String(), d.Name(), d.IsDefault)
		}
	}
}
