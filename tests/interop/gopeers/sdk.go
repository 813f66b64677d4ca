package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/grafana/pyroscope-go"
)

// sentUpload is what the SDK sent, as printed on stdout (one JSON line per upload), so a test
// can compare it byte for byte with what arrives downstream of the collector.
type sentUpload struct {
	Path             string            `json:"path"`
	Query            map[string]string `json:"query"`
	ContentType      string            `json:"content_type"`
	Profile          string            `json:"profile"` // base64 of the "profile" part
	SampleTypeConfig json.RawMessage   `json:"sample_type_config,omitempty"`
	Status           int               `json:"status"`
	Error            string            `json:"error,omitempty"`
}

// recordingClient forwards each upload and prints what was sent and the answer.
type recordingClient struct {
	mu  sync.Mutex
	out *json.Encoder
}

func (c *recordingClient) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := sentUpload{Path: req.URL.Path, Query: map[string]string{}, ContentType: req.Header.Get("Content-Type")}
	for k, v := range req.URL.Query() {
		rec.Query[k] = v[0]
	}
	if _, params, err := mime.ParseMediaType(rec.ContentType); err == nil {
		reader := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := reader.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(part)
			switch part.FormName() {
			case "profile":
				rec.Profile = base64.StdEncoding.EncodeToString(data)
			case "sample_type_config":
				rec.SampleTypeConfig = data
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Status = resp.StatusCode
	}
	c.mu.Lock()
	_ = c.out.Encode(rec)
	c.mu.Unlock()
	return resp, err
}

type stderrLogger struct{}

func (stderrLogger) Infof(f string, a ...interface{})  { fmt.Fprintf(os.Stderr, "info: "+f+"\n", a...) }
func (stderrLogger) Debugf(f string, a ...interface{}) {}
func (stderrLogger) Errorf(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "error: "+f+"\n", a...)
}

func runSDK(args []string) error {
	flags := flag.NewFlagSet("sdk", flag.ContinueOnError)
	url := flags.String("url", "", "server address (receive_http base URL)")
	app := flags.String("app", "gopeers-sdk", "application name")
	duration := flags.Duration("duration", 4*time.Second, "how long to profile before Stop")
	uploadRate := flags.Duration("upload-rate", time.Second, "pyroscope.Config.UploadRate")
	if err := flags.Parse(args); err != nil {
		return err
	}
	startWorkload()
	client := &recordingClient{out: json.NewEncoder(os.Stdout)}
	profiler, err := pyroscope.Start(pyroscope.Config{
		ApplicationName: *app,
		ServerAddress:   *url,
		Tags:            map[string]string{"env": "interop", "team": "profcol"},
		UploadRate:      *uploadRate,
		Logger:          stderrLogger{},
		HTTPClient:      client,
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU,
			pyroscope.ProfileAllocObjects, pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects, pyroscope.ProfileInuseSpace,
			pyroscope.ProfileGoroutines,
			pyroscope.ProfileMutexCount, pyroscope.ProfileMutexDuration,
			pyroscope.ProfileBlockCount, pyroscope.ProfileBlockDuration,
		},
	})
	if err != nil {
		return err
	}
	time.Sleep(*duration)
	return profiler.Stop()
}
