package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// summary is a canonical view of a profile, as google/pprof's parser reads it: samples are
// aggregated by (stack of function names, root first, ";"-joined) and labels, sorted, and
// samples whose values are all zero are left out.
type summary struct {
	SampleTypes   []string        `json:"sample_types"` // "type/unit"
	PeriodType    string          `json:"period_type"`
	Period        int64           `json:"period"`
	DurationNanos int64           `json:"duration_nanos"`
	Samples       []summarySample `json:"samples"`
}

type summarySample struct {
	Stack  string            `json:"stack"`
	Labels map[string]string `json:"labels"`
	Values []int64           `json:"values"`
}

func summarize(p *profile.Profile) summary {
	s := summary{Period: p.Period, DurationNanos: p.DurationNanos, Samples: []summarySample{}}
	for _, t := range p.SampleType {
		s.SampleTypes = append(s.SampleTypes, t.Type+"/"+t.Unit)
	}
	if p.PeriodType != nil {
		s.PeriodType = p.PeriodType.Type + "/" + p.PeriodType.Unit
	}
	byKey := map[string]*summarySample{}
	for _, sample := range p.Sample {
		var frames []string
		for i := len(sample.Location) - 1; i >= 0; i-- {
			loc := sample.Location[i]
			for j := len(loc.Line) - 1; j >= 0; j-- {
				if loc.Line[j].Function != nil {
					frames = append(frames, loc.Line[j].Function.Name)
				}
			}
			if len(loc.Line) == 0 {
				frames = append(frames, fmt.Sprintf("0x%x", loc.Address))
			}
		}
		labels := map[string]string{}
		for k, v := range sample.Label {
			labels[k] = strings.Join(v, ",")
		}
		for k, v := range sample.NumLabel {
			labels["#"+k] = fmt.Sprint(v)
		}
		labelJSON, _ := json.Marshal(labels) // map keys are sorted
		stack := strings.Join(frames, ";")
		key := stack + "\x00" + string(labelJSON)
		agg := byKey[key]
		if agg == nil {
			agg = &summarySample{Stack: stack, Labels: labels, Values: make([]int64, len(sample.Value))}
			byKey[key] = agg
		}
		for i, v := range sample.Value {
			agg.Values[i] += v
		}
	}
	keys := make([]string, 0, len(byKey))
	for k, agg := range byKey {
		zero := true
		for _, v := range agg.Values {
			zero = zero && v == 0
		}
		if !zero {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.Samples = append(s.Samples, *byKey[k])
	}
	return s
}

func parseFile(name string) (*profile.Profile, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// runSummary prints one JSON summary line per file argument ("-" reads stdin).
func runSummary(args []string) error {
	out := json.NewEncoder(os.Stdout)
	for _, name := range args {
		p, err := parseFile(name)
		if err != nil {
			return err
		}
		if err := out.Encode(summarize(p)); err != nil {
			return err
		}
	}
	return nil
}

// runDiff prints the summary of Merge(second, scale(first, -1)): what Go says the delta
// between two cumulative scrapes is.
func runDiff(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: pprof-diff FIRST SECOND")
	}
	first, err := parseFile(args[0])
	if err != nil {
		return err
	}
	second, err := parseFile(args[1])
	if err != nil {
		return err
	}
	first.Scale(-1)
	merged, err := profile.Merge([]*profile.Profile{second, first})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(summarize(merged))
}
