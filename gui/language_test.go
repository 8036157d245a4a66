package gui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// message is one entry of a translation file: a plain string, or plural
// forms ("one", "other", ...).
type message map[string]string

func (m *message) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*m = message{"other": s}
		return nil
	}
	var forms map[string]string
	if err := json.Unmarshal(b, &forms); err != nil {
		return err
	}
	delete(forms, "description")
	*m = forms
	return nil
}

func readTranslations(t *testing.T, name string) map[string]message {
	t.Helper()
	b, err := translations.ReadFile("translations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// sourceTexts are the texts the package's code translates: the literal
// first argument of every lang.L and lang.N, with where it is. A call
// with anything but a literal there is reported: its text could not be
// checked.
func sourceTexts(t *testing.T) (texts map[string]string, plural map[string]bool) {
	t.Helper()
	texts, plural = map[string]string{}, map[string]bool{}
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok || len(c.Args) == 0 {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "lang" {
				return true
			}
			switch sel.Sel.Name {
			case "L", "N":
			case "X", "XN", "Localize", "LocalizePlural", "LocalizeKey", "LocalizePluralKey":
				t.Errorf("%s: lang.%s: use lang.L or lang.N, keyed by the English text", fset.Position(c.Pos()), sel.Sel.Name)
				return true
			default:
				return true
			}
			lit, ok := c.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: lang.%s with a text that is not a literal", fset.Position(c.Pos()), sel.Sel.Name)
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			texts[s] = fset.Position(c.Pos()).String()
			if sel.Sel.Name == "N" {
				plural[s] = true
			}
			return true
		})
	}
	return texts, plural
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestTranslations: every text the code translates is in the English
// file (and nothing else is), and every English text is in each other
// language, with the same placeholders, as a template that parses. Run
// with CALLA_WRITE_EN=1 to write the English file from the code.
func TestTranslations(t *testing.T) {
	texts, plural := sourceTexts(t)
	if os.Getenv("CALLA_WRITE_EN") != "" {
		writeEnglish(t, texts, plural)
	}
	en := readTranslations(t, "calla.en.json")
	for s, at := range texts {
		m, ok := en[s]
		if !ok {
			t.Errorf("%s: %q is not in translations/calla.en.json", at, s)
			continue
		}
		if plural[s] && m["one"] == "" {
			t.Errorf("%q is counted (lang.N) but has no \"one\" form in English", s)
		}
	}
	for s := range en {
		if _, ok := texts[s]; !ok {
			t.Errorf("translations/calla.en.json has %q, which the code does not use", s)
		}
	}
	for _, file := range []string{"calla.zh-Hans.json", "calla.ja.json"} {
		tr := readTranslations(t, file)
		for s, m := range en {
			got, ok := tr[s]
			if !ok || got["other"] == "" {
				t.Errorf("%s lacks %q", file, s)
				continue
			}
			for form, text := range got {
				if !slices.Equal(placeholders(text), placeholders(m["other"])) {
					t.Errorf("%s: %q (%s) has placeholders %v, the English %v", file, s, form, placeholders(text), placeholders(m["other"]))
				}
				if _, err := template.New("").Parse(text); err != nil {
					t.Errorf("%s: %q: %v", file, s, err)
				}
			}
		}
		for s := range tr {
			if _, ok := en[s]; !ok {
				t.Errorf("%s has %q, which is not in English", file, s)
			}
		}
	}
}

func writeEnglish(t *testing.T, texts map[string]string, plural map[string]bool) {
	out := map[string]any{}
	for s := range texts {
		if plural[s] {
			out[s] = map[string]string{"one": "", "other": s}
			if old, ok := readTranslations(t, "calla.en.json")[s]; ok && old["one"] != "" {
				out[s] = map[string]string{"one": old["one"], "other": s}
			}
			continue
		}
		out[s] = s
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("translations/calla.en.json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// uiCalls are the functions and methods whose string arguments a user
// reads: a literal there must go through lang.
var uiCalls = map[string]bool{
	"NewLabel": true, "NewLabelWithStyle": true, "NewButton": true, "NewButtonWithIcon": true,
	"NewCheck": true, "NewText": true, "NewFormItem": true, "SetText": true, "SetPlaceHolder": true,
	"ShowInformation": true, "ShowConfirm": true, "ShowCustomConfirm": true, "NewCustom": true,
	"NewConfirm": true, "NewInformation": true, "toast": true, "header": true, "NewNotification": true,
	"SendNotification": true, "notify": true, "NewRadioGroup": true, "NewSelect": true,
}

// uiFields are struct fields a user reads.
var uiFields = map[string]bool{
	"Text": true, "HintText": true, "PlaceHolder": true, "Title": true, "Message": true,
	"Button": true, "Detail": true, "What": true, "Do": true, "LoginStatus": true, "Banner": true,
}

// untranslated are literals a user reads that are the same in every
// language: examples of what to type, and names.
var untranslated = map[string]bool{
	"ws://192.168.1.10:8443/ws": true, "alice": true, "Calla": true,
}

// TestEveryTextGoesThroughLang fails when a text a user reads is a bare
// literal: an argument of a widget constructor or setter, a toast, a
// dialog, or a field such as Text or Title.
func TestEveryTextGoesThroughLang(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	report := func(n ast.Node, lit *ast.BasicLit, where string) {
		s, _ := strconv.Unquote(lit.Value)
		if untranslated[s] || !strings.ContainsFunc(s, unicode.IsLetter) {
			return
		}
		t.Errorf("%s: %q (%s) is not translated: wrap it in lang.L", fset.Position(n.Pos()), s, where)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if !uiCalls[name] {
					return true
				}
				for _, a := range n.Args {
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						report(n, lit, name)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && uiFields[k.Name] {
					if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						report(n, lit, k.Name)
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					sel, ok := l.(*ast.SelectorExpr)
					if !ok || !uiFields[sel.Sel.Name] || i >= len(n.Rhs) {
						continue
					}
					if lit, ok := n.Rhs[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						report(n, lit, sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
}

// inLanguage makes the texts l's for the rest of the test.
func inLanguage(t *testing.T, l Language) {
	useLanguage(l)
	t.Cleanup(func() { useLanguage(LanguageSystem) })
}

// canvasTexts are the texts drawn on the window, dialogs included.
func canvasTexts(r *uiRig) []string {
	var out []string
	roots := append([]fyne.CanvasObject{r.win.Canvas().Content()}, r.win.Canvas().Overlays().List()...)
	for _, root := range roots {
		for _, o := range test.LaidOutObjects(root) {
			if tx, ok := o.(*canvas.Text); ok && o.Visible() && strings.TrimSpace(tx.Text) != "" {
				out = append(out, tx.Text)
			}
		}
	}
	return out
}

// TestScreensInEachLanguage draws every main screen in Chinese, and two
// in Japanese: each shows some of its language's texts, and none of the
// English ones that language translates differently. (A text that does
// not go through lang stays English in any language: one language over
// every screen finds it; TestTranslations checks each file's entries.)
func TestScreensInEachLanguage(t *testing.T) {
	en := readTranslations(t, "calla.en.json")
	for _, l := range []struct {
		lang    Language
		file    string
		screens map[string]bool // nil: all
	}{
		{LanguageChinese, "calla.zh-Hans.json", nil},
		{LanguageJapanese, "calla.ja.json", map[string]bool{"incoming": true, "call_group_4": true}},
	} {
		tr := readTranslations(t, l.file)
		translated := map[string]bool{}
		for _, m := range tr {
			for _, s := range m {
				translated[s] = true
			}
		}
		for _, s := range mainScreens {
			if l.screens != nil && !l.screens[s.name] {
				continue
			}
			t.Run(string(l.lang)+"/"+s.name, func(t *testing.T) {
				inLanguage(t, l.lang)
				r := newUIRig(t)
				s.make(r)
				texts := canvasTexts(r)
				ours := 0
				for _, x := range texts {
					if translated[x] {
						ours++
					}
					if m, ok := en[x]; ok && tr[x]["other"] != m["other"] {
						t.Errorf("%q is shown in English", x)
					}
				}
				if ours == 0 {
					t.Errorf("no %s text on the screen: %q", l.lang, texts)
				}
			})
		}
	}
}

// TestLanguageFromSettings: picking 日本語 in Settings redraws the window
// in Japanese at once and is kept; System brings the desktop's back.
func TestLanguageFromSettings(t *testing.T) {
	t.Cleanup(func() { useLanguage(LanguageSystem) })
	r := newUIRig(t)
	r.screenSettings()
	r.ui.set.language.SetSelected("日本語")
	want(t, "kept", r.m.settings.Language(), LanguageJapanese)
	if texts := strings.Join(canvasTexts(r), "|"); !strings.Contains(texts, "設定") || !strings.Contains(texts, "言語") {
		t.Fatalf("the settings screen is not in Japanese: %s", texts)
	}
	r.m.Back()
	if texts := strings.Join(canvasTexts(r), "|"); !strings.Contains(texts, "履歴") {
		t.Fatalf("the contact list is not in Japanese: %s", texts)
	}
	r.m.ShowScreen(ScreenSettings)
	r.ui.set.language.SetSelected(r.ui.set.language.Options[0]) // システムに従う
	want(t, "kept", r.m.settings.Language(), LanguageSystem)
	if texts := strings.Join(canvasTexts(r), "|"); !strings.Contains(texts, "Settings") {
		t.Fatalf("the settings screen is not back in English: %s", texts)
	}
}

// TestCJKTextRenders: Fyne's own font has no Chinese or Japanese glyphs;
// it falls back to a system font that has them (fonts-wqy-microhei, which
// scripts/setup.sh installs; any CJK font on a desktop). Without one,
// every character is the same empty box, so two different texts would
// draw alike.
func TestCJKTextRenders(t *testing.T) {
	draw := func(s string) image.Image {
		w := test.NewTempWindow(t, canvas.NewText(s, color.Black))
		w.Resize(fyne.NewSize(120, 40))
		return w.Canvas().Capture()
	}
	same := func(a, b image.Image) bool {
		for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
			for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
				if a.At(x, y) != b.At(x, y) {
					return false
				}
			}
		}
		return true
	}
	for _, pair := range [][2]string{{"通话", "设置"}, {"応答", "拒否"}, {"かな", "カナ"}} {
		if same(draw(pair[0]), draw(pair[1])) {
			t.Errorf("%q and %q draw the same: no font with CJK glyphs (run scripts/setup.sh)", pair[0], pair[1])
		}
	}
}
