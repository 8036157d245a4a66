package gui

import (
	"embed"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// translations are the app's texts in each language (English, Simplified
// Chinese, Japanese), one go-i18n JSON file per language keyed by the
// English text, as Fyne's lang package reads them. They also translate
// the texts of Fyne's own widgets that Fyne leaves untranslated.
//
//go:embed translations/*.json
var translations embed.FS

// Language is the language the user picked in Settings; LanguageSystem
// follows the desktop's locale.
type Language string

// Languages Calla speaks.
const (
	LanguageSystem   Language = ""
	LanguageEnglish  Language = "en"
	LanguageChinese  Language = "zh-Hans"
	LanguageJapanese Language = "ja"
)

// languages are the choices in Settings, in the order shown.
var languages = []Language{LanguageSystem, LanguageEnglish, LanguageChinese, LanguageJapanese}

// label is the language's name in the language itself, so that a user
// who cannot read the current one still finds theirs.
func (l Language) label() string {
	switch l {
	case LanguageEnglish:
		return "English"
	case LanguageChinese:
		return "简体中文"
	case LanguageJapanese:
		return "日本語"
	}
	return lang.L("System")
}

// systemLanguage is the desktop's LANGUAGE, as the app started with it.
var systemLanguage, systemLanguageSet = os.LookupEnv("LANGUAGE")

func init() { loadTranslations() }

// loadTranslations adds the translations to Fyne's, which makes Fyne pick
// the language again. A file that does not load is a build defect
// (TestTranslations catches it); the texts then stay English.
func loadTranslations() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("gui: the translations do not load", err)
	}
}

// useLanguage makes l the language of every text from now on (Fyne's
// widgets' too). Fyne's lang package picks its language from the
// desktop's locale when translations are added, and has no other way to
// choose one; on Linux and the BSDs that locale is read from $LANGUAGE
// first, so the override sets it and adds the translations again. (On
// macOS and Windows the locale comes from the system, which Calla then
// follows.) Called on the UI goroutine, before the texts it changes are
// made.
func useLanguage(l Language) {
	switch {
	case l != LanguageSystem:
		os.Setenv("LANGUAGE", string(l))
	case systemLanguageSet:
		os.Setenv("LANGUAGE", systemLanguage)
	default:
		os.Unsetenv("LANGUAGE")
	}
	loadTranslations()
}

// named is template data with one name in it, for texts such as
// "{{.Name}} declined".
func named(name string) map[string]any { return map[string]any{"Name": name} }
