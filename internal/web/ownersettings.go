package web

import (
	"net/http"
	"strings"

	"listd/internal/lists"
)

// ownerSettingChoices are the values of the settings that take one of a few words, for
// their select boxes; the list domain's validation stays the judge.
func ownerSettingChoices(name string) []string {
	words := func(ws ...string) []string { return ws }
	switch name {
	case "archive":
		return wordsOf(lists.Archives())
	case "nonmember":
		return wordsOf(lists.NonmemberPolicies())
	case "crisis":
		return wordsOf(lists.CrisisPolicies())
	case "moderation":
		return words("none", "first-post", "all")
	case "anonymous":
		return words("yes", "no")
	case "emergency", "indexing":
		return words("off", "on")
	case "digest":
		return words("daily", "weekly")
	case "dmarc":
		return words("auto", "always")
	}
	return nil
}

func wordsOf[T ~string](ws []T) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

// ownerLongSetting reports whether a setting is a text of the list (a textarea).
func ownerLongSetting(name string) bool {
	switch name {
	case "description", "description-en", "welcome-de", "welcome-en", "footer-de", "footer-en":
		return true
	}
	return false
}

// ownerSettingField is one setting on the form.
type ownerSettingField struct {
	Name, Help, Value string
	Choices           []string
	Long, Number      bool
}

// ownerSettingsPage is the data of /NAME/admin/settings.
type ownerSettingsPage struct {
	ownerPage
	Fields  []ownerSettingField
	Preview []ownerPreviewText
}

// ownerPreviewText is a list text as a member sees it, for the preview.
type ownerPreviewText struct{ Heading, Text string }

// ownerNormSetting is a form value as the domain compares it: line breaks as \n, no
// space around.
func ownerNormSetting(v string) string {
	return strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
}

// ownerSettings is /NAME/admin/settings: every list setting, from the domain's one
// table. A POST saves all changed values in one go or, when any is bad, none, and
// shows each error next to its field with everything typed kept; do=preview shows
// the welcome and footer texts as members get them, saving nothing.
func (s *Server) ownerSettings(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	lang := s.lang(r)
	l := a.List
	data := ownerSettingsPage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}}
	values := map[string]string{}
	for _, st := range lists.Settings() {
		values[st.Name] = st.Value(l)
	}
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		changed := lists.ListSettings{}
		for _, st := range lists.Settings() {
			v, ok := r.PostForm[st.Name]
			if !ok || len(v) != 1 {
				continue
			}
			values[st.Name] = v[0]
			if ownerNormSetting(v[0]) == ownerNormSetting(st.Value(l)) {
				continue
			}
			if err := lists.CheckSettings(lists.ListSettings{st.Name: v[0]}); err != nil {
				data.Errors[st.Name] = s.tr(lang, "owner_setting_bad") + " " + ownerSettingHelp(lang, st)
				continue
			}
			changed[st.Name] = v[0]
		}
		switch {
		case r.PostFormValue("do") == "preview":
			p, err := d.PreviewTexts(r.Context(), l.Name, changed)
			if err != nil {
				field, text, ok := s.inputError(lang, err)
				if !ok {
					s.internalError(w, r, err)
					return
				}
				data.Errors[firstOf(field, "form")] = text
				break
			}
			data.Preview = []ownerPreviewText{{s.tr(lang, "owner_preview_welcome_de"), p.Welcome["de"]},
				{s.tr(lang, "owner_preview_welcome_en"), p.Welcome["en"]}, {s.tr(lang, "owner_preview_footer"), p.Footer}}
		case len(data.Errors) > 0:
		case len(changed) == 0:
			data.Done = s.tr(lang, "owner_settings_unchanged")
		default:
			nl, err := d.UpdateListBy(r.Context(), a.ownerActor(), l.Name, changed)
			if err != nil {
				field, text, ok := s.inputError(lang, err)
				if !ok {
					s.internalError(w, r, err)
					return
				}
				data.Errors[firstOf(field, "form")] = text
				break
			}
			a.List = nl
			data.Admin = a
			for _, st := range lists.Settings() {
				values[st.Name] = st.Value(nl)
			}
			data.Done = s.tr(lang, "owner_settings_saved")
		}
	}
	for _, st := range lists.Settings() {
		number := st.Kind == lists.Int || st.Kind == lists.Int64
		data.Fields = append(data.Fields, ownerSettingField{Name: st.Name, Help: ownerSettingHelp(lang, st), Value: values[st.Name],
			Choices: ownerSettingChoices(st.Name), Long: ownerLongSetting(st.Name), Number: number})
	}
	status := http.StatusOK
	if len(data.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.renderForm(w, r, status, "ownersettings", s.ownerTitle(lang, "owner_settings", l), data)
}

func ownerSettingHelp(lang string, st lists.Setting) string {
	if lang == "en" {
		return st.HelpEN
	}
	return st.HelpDE
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
