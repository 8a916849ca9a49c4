package flyteauth

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

// Every settings key of the library (SettingsKeys, generated from its key table) has a
// field in Settings, and every field maps to one of them.
func TestSettingsHaveAFieldForEveryKey(t *testing.T) {
	var s Settings
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case v.Type().Field(i).Name == "Extra":
		case f.Type() == reflect.TypeOf(time.Duration(0)):
			f.Set(reflect.ValueOf(time.Second))
		case f.Kind() == reflect.String:
			f.SetString("x")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Type() == reflect.TypeOf((*bool)(nil)):
			f.Set(reflect.ValueOf(Bool(true)))
		case f.Type() == reflect.TypeOf([]string(nil)):
			f.Set(reflect.ValueOf([]string{"x"}))
		case f.Type() == reflect.TypeOf((*CredentialSource)(nil)):
			f.Set(reflect.ValueOf(&CredentialSource{File: "x"}))
		default:
			t.Fatalf("Settings.%s: a field type this test does not know", v.Type().Field(i).Name)
		}
	}
	var mapped []string
	for k := range s.Map() {
		mapped = append(mapped, k)
	}
	want := append([]string{}, SettingsKeys...)
	sort.Strings(mapped)
	sort.Strings(want)
	if !reflect.DeepEqual(mapped, want) {
		t.Fatalf("Settings maps to the keys\n  %v\nthe library's are\n  %v\n(add a field for a new key; run scripts/generate.py after changing Settings.swift)", mapped, want)
	}
}
