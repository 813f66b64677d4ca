package main

// OTLP profiles peers built on the OpenTelemetry Collector's data model
// (go.opentelemetry.io/collector/pdata/pprofile, pinned in go.mod; layout of
// opentelemetry-proto v1.10.0 = v1.11.x):
//
//	otlp-encode  pprof files → one ExportProfilesServiceRequest on stdout (protobuf or JSON)
//	otlp-server  serve POST /v1development/profiles; decode each request with pdata, write one
//	             pprof per OTLP profile into -dir and print one JSON line per request

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// dictionary builds a pdata dictionary with deduplicated strings and zero entries first.
type dictionary struct {
	d       pprofile.ProfilesDictionary
	strings map[string]int32
	attrs   map[string]int32
	stacks  map[string]int32
}

func newDictionary(d pprofile.ProfilesDictionary) *dictionary {
	x := &dictionary{d: d, strings: map[string]int32{}, attrs: map[string]int32{}, stacks: map[string]int32{}}
	x.str("")
	d.MappingTable().AppendEmpty()
	d.LocationTable().AppendEmpty()
	d.FunctionTable().AppendEmpty()
	d.LinkTable().AppendEmpty()
	d.AttributeTable().AppendEmpty()
	d.StackTable().AppendEmpty()
	return x
}

func (x *dictionary) str(s string) int32 {
	if i, ok := x.strings[s]; ok {
		return i
	}
	i := int32(x.d.StringTable().Len())
	x.d.StringTable().Append(s)
	x.strings[s] = i
	return i
}

func (x *dictionary) attr(key string, set func(pcommon.Value), unit string, id string) int32 {
	k := key + "\x00" + unit + "\x00" + id
	if i, ok := x.attrs[k]; ok {
		return i
	}
	a := x.d.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(x.str(key))
	a.SetUnitStrindex(x.str(unit))
	set(a.Value())
	i := int32(x.d.AttributeTable().Len() - 1)
	x.attrs[k] = i
	return i
}

func (x *dictionary) strAttr(key, value string) int32 {
	return x.attr(key, func(v pcommon.Value) { v.SetStr(value) }, "", "s"+value)
}

// addProfile appends one OTLP profile per sample type of p to scope.
func (x *dictionary) addProfile(sp pprofile.ScopeProfiles, p *profile.Profile, name string) {
	mappings := map[*profile.Mapping]int32{}
	for _, m := range p.Mapping {
		om := x.d.MappingTable().AppendEmpty()
		om.SetMemoryStart(m.Start)
		om.SetMemoryLimit(m.Limit)
		om.SetFileOffset(m.Offset)
		om.SetFilenameStrindex(x.str(m.File))
		if m.BuildID != "" {
			om.AttributeIndices().Append(x.strAttr("process.executable.build_id.gnu", m.BuildID))
		}
		for _, flag := range []struct {
			key string
			on  bool
		}{
			{"pprof.mapping.has_functions", m.HasFunctions},
			{"pprof.mapping.has_filenames", m.HasFilenames},
			{"pprof.mapping.has_line_numbers", m.HasLineNumbers},
			{"pprof.mapping.has_inline_frames", m.HasInlineFrames},
		} {
			if flag.on {
				om.AttributeIndices().Append(x.attr(flag.key, func(v pcommon.Value) { v.SetBool(true) }, "", "b"))
			}
		}
		mappings[m] = int32(x.d.MappingTable().Len() - 1)
	}
	functions := map[*profile.Function]int32{}
	for _, f := range p.Function {
		of := x.d.FunctionTable().AppendEmpty()
		of.SetNameStrindex(x.str(f.Name))
		of.SetSystemNameStrindex(x.str(f.SystemName))
		of.SetFilenameStrindex(x.str(f.Filename))
		of.SetStartLine(f.StartLine)
		functions[f] = int32(x.d.FunctionTable().Len() - 1)
	}
	locations := map[*profile.Location]int32{}
	for _, l := range p.Location {
		ol := x.d.LocationTable().AppendEmpty()
		if l.Mapping != nil {
			ol.SetMappingIndex(mappings[l.Mapping])
		}
		ol.SetAddress(l.Address)
		for _, line := range l.Line {
			oline := ol.Lines().AppendEmpty()
			oline.SetFunctionIndex(functions[line.Function])
			oline.SetLine(line.Line)
			oline.SetColumn(line.Column)
		}
		if l.IsFolded {
			ol.AttributeIndices().Append(x.attr("pprof.location.is_folded", func(v pcommon.Value) { v.SetBool(true) }, "", "b"))
		}
		locations[l] = int32(x.d.LocationTable().Len() - 1)
	}
	type prepared struct {
		stack int32
		attrs []int32
	}
	samples := make([]prepared, len(p.Sample))
	for i, s := range p.Sample {
		key := ""
		ids := make([]int32, len(s.Location))
		for j, l := range s.Location {
			ids[j] = locations[l]
			key += fmt.Sprintf("%d,", ids[j])
		}
		stack, ok := x.stacks[key]
		if !ok {
			x.d.StackTable().AppendEmpty().LocationIndices().Append(ids...)
			stack = int32(x.d.StackTable().Len() - 1)
			x.stacks[key] = stack
		}
		var attrs []int32
		for k, values := range s.Label {
			for _, v := range values {
				attrs = append(attrs, x.strAttr(k, v))
			}
		}
		for k, values := range s.NumLabel {
			for j, v := range values {
				unit := ""
				if j < len(s.NumUnit[k]) {
					unit = s.NumUnit[k][j]
				}
				value := v
				attrs = append(attrs, x.attr(k, func(pv pcommon.Value) { pv.SetInt(value) }, unit, fmt.Sprintf("i%d", v)))
			}
		}
		samples[i] = prepared{stack, attrs}
	}
	for t, st := range p.SampleType {
		op := sp.Profiles().AppendEmpty()
		op.SampleType().SetTypeStrindex(x.str(st.Type))
		op.SampleType().SetUnitStrindex(x.str(st.Unit))
		if p.PeriodType != nil {
			op.PeriodType().SetTypeStrindex(x.str(p.PeriodType.Type))
			op.PeriodType().SetUnitStrindex(x.str(p.PeriodType.Unit))
		}
		op.SetPeriod(p.Period)
		op.SetTime(pcommon.Timestamp(p.TimeNanos))
		op.SetDurationNano(uint64(p.DurationNanos))
		if name != "" {
			op.AttributeIndices().Append(x.strAttr("pyroscope.profile.name", name))
		}
		for i, s := range p.Sample {
			os := op.Samples().AppendEmpty()
			os.SetStackIndex(samples[i].stack)
			os.AttributeIndices().Append(samples[i].attrs...)
			os.Values().Append(s.Value[t])
		}
	}
}

func runOtlpEncode(args []string) error {
	fs := flag.NewFlagSet("otlp-encode", flag.ContinueOnError)
	format := fs.String("format", "proto", "proto or json")
	service := fs.String("service", "gopeers", "service.name of every resource")
	name := fs.String("name", "", "pyroscope.profile.name profile attribute (empty: none)")
	output := fs.String("o", "", "write the request to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pd := pprofile.NewProfiles()
	x := newDictionary(pd.Dictionary())
	for _, file := range fs.Args() {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		rp := pd.ResourceProfiles().AppendEmpty()
		rp.Resource().Attributes().PutStr("service.name", *service)
		rp.Resource().Attributes().PutStr("source.file", filepath.Base(file))
		sp := rp.ScopeProfiles().AppendEmpty()
		sp.Scope().SetName("gopeers")
		x.addProfile(sp, p, *name)
	}
	var out []byte
	var err error
	if *format == "json" {
		out, err = (&pprofile.JSONMarshaler{}).MarshalProfiles(pd)
	} else {
		out, err = (&pprofile.ProtoMarshaler{}).MarshalProfiles(pd)
	}
	if err != nil {
		return err
	}
	if *output != "" {
		return os.WriteFile(*output, out, 0o644)
	}
	_, err = os.Stdout.Write(out)
	return err
}

// toPprof turns one OTLP profile (one sample type) back into a google/pprof profile.
func toPprof(d pprofile.ProfilesDictionary, op pprofile.Profile) (*profile.Profile, error) {
	str := func(i int32) string {
		if int(i) < d.StringTable().Len() && i >= 0 {
			return d.StringTable().At(int(i))
		}
		return fmt.Sprintf("<bad string %d>", i)
	}
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: str(op.SampleType().TypeStrindex()), Unit: str(op.SampleType().UnitStrindex())}},
		TimeNanos:     int64(op.Time()),
		DurationNanos: int64(op.DurationNano()),
		Period:        op.Period(),
	}
	if op.PeriodType().TypeStrindex() != 0 || op.PeriodType().UnitStrindex() != 0 {
		p.PeriodType = &profile.ValueType{Type: str(op.PeriodType().TypeStrindex()), Unit: str(op.PeriodType().UnitStrindex())}
	}
	attr := func(i int32) pprofile.KeyValueAndUnit { return d.AttributeTable().At(int(i)) }
	mappings := map[int32]*profile.Mapping{}
	functions := map[int32]*profile.Function{}
	locations := map[int32]*profile.Location{}
	mapping := func(i int32) *profile.Mapping {
		if i == 0 {
			return nil
		}
		if m, ok := mappings[i]; ok {
			return m
		}
		om := d.MappingTable().At(int(i))
		m := &profile.Mapping{ID: uint64(len(p.Mapping) + 1), Start: om.MemoryStart(), Limit: om.MemoryLimit(), Offset: om.FileOffset(), File: str(om.FilenameStrindex())}
		for _, ai := range om.AttributeIndices().AsRaw() {
			a := attr(ai)
			switch str(a.KeyStrindex()) {
			case "process.executable.build_id.gnu":
				m.BuildID = a.Value().Str()
			case "pprof.mapping.has_functions":
				m.HasFunctions = a.Value().Bool()
			case "pprof.mapping.has_filenames":
				m.HasFilenames = a.Value().Bool()
			case "pprof.mapping.has_line_numbers":
				m.HasLineNumbers = a.Value().Bool()
			case "pprof.mapping.has_inline_frames":
				m.HasInlineFrames = a.Value().Bool()
			}
		}
		p.Mapping = append(p.Mapping, m)
		mappings[i] = m
		return m
	}
	function := func(i int32) *profile.Function {
		if f, ok := functions[i]; ok {
			return f
		}
		of := d.FunctionTable().At(int(i))
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: str(of.NameStrindex()), SystemName: str(of.SystemNameStrindex()), Filename: str(of.FilenameStrindex()), StartLine: of.StartLine()}
		p.Function = append(p.Function, f)
		functions[i] = f
		return f
	}
	location := func(i int32) *profile.Location {
		if l, ok := locations[i]; ok {
			return l
		}
		ol := d.LocationTable().At(int(i))
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: mapping(ol.MappingIndex()), Address: ol.Address()}
		for j := 0; j < ol.Lines().Len(); j++ {
			line := ol.Lines().At(j)
			l.Line = append(l.Line, profile.Line{Function: function(line.FunctionIndex()), Line: line.Line(), Column: line.Column()})
		}
		for _, ai := range ol.AttributeIndices().AsRaw() {
			if str(attr(ai).KeyStrindex()) == "pprof.location.is_folded" {
				l.IsFolded = attr(ai).Value().Bool()
			}
		}
		p.Location = append(p.Location, l)
		locations[i] = l
		return l
	}
	for i := 0; i < op.Samples().Len(); i++ {
		os := op.Samples().At(i)
		var value int64
		for _, v := range os.Values().AsRaw() {
			value += v
		}
		s := &profile.Sample{Value: []int64{value}}
		stack := d.StackTable().At(int(os.StackIndex()))
		for _, li := range stack.LocationIndices().AsRaw() {
			s.Location = append(s.Location, location(li))
		}
		for _, ai := range os.AttributeIndices().AsRaw() {
			a := attr(ai)
			key := str(a.KeyStrindex())
			if a.Value().Type() == pcommon.ValueTypeInt {
				if s.NumLabel == nil {
					s.NumLabel, s.NumUnit = map[string][]int64{}, map[string][]string{}
				}
				s.NumLabel[key] = append(s.NumLabel[key], a.Value().Int())
				s.NumUnit[key] = append(s.NumUnit[key], str(a.UnitStrindex()))
			} else {
				if s.Label == nil {
					s.Label = map[string][]string{}
				}
				s.Label[key] = append(s.Label[key], a.Value().AsString())
			}
		}
		p.Sample = append(p.Sample, s)
	}
	return p, p.CheckValid()
}

type receivedProfile struct {
	File       string            `json:"file"`
	SampleType string            `json:"sample_type"`
	Resource   map[string]string `json:"resource"`
	Attributes map[string]string `json:"attributes"`
}

func runOtlpServer(args []string) error {
	fs := flag.NewFlagSet("otlp-server", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the pprof files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var mu sync.Mutex
	count := 0
	handler := http.NewServeMux()
	handler.HandleFunc("POST /v1development/profiles", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var out []receivedProfile
		d := pd.Dictionary()
		for i := 0; i < pd.ResourceProfiles().Len(); i++ {
			rp := pd.ResourceProfiles().At(i)
			resource := map[string]string{}
			rp.Resource().Attributes().Range(func(k string, v pcommon.Value) bool {
				resource[k] = v.AsString()
				return true
			})
			for j := 0; j < rp.ScopeProfiles().Len(); j++ {
				sp := rp.ScopeProfiles().At(j)
				for k := 0; k < sp.Profiles().Len(); k++ {
					op := sp.Profiles().At(k)
					p, err := toPprof(d, op)
					if err != nil {
						http.Error(w, err.Error(), http.StatusBadRequest)
						return
					}
					count++
					file := filepath.Join(*dir, fmt.Sprintf("otlp-%04d.pb.gz", count))
					f, err := os.Create(file)
					if err == nil {
						err = p.Write(f)
						f.Close()
					}
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					attributes := map[string]string{}
					for _, ai := range op.AttributeIndices().AsRaw() {
						a := d.AttributeTable().At(int(ai))
						attributes[d.StringTable().At(int(a.KeyStrindex()))] = a.Value().AsString()
					}
					out = append(out, receivedProfile{
						File:       file,
						SampleType: p.SampleType[0].Type + "/" + p.SampleType[0].Unit,
						Resource:   resource,
						Attributes: attributes,
					})
				}
			}
		}
		line, _ := json.Marshal(map[string]any{"tenant": r.Header.Get("X-Scope-OrgID"), "profiles": out})
		fmt.Println(string(line))
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	exitOnStdinClose()
	return http.Serve(listener, handler)
}
