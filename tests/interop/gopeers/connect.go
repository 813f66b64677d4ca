package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	"google.golang.org/protobuf/encoding/protojson"

	pushv1 "profcol/tests/interop/gopeers/gen/push/v1"
	"profcol/tests/interop/gopeers/gen/push/v1/pushv1connect"
)

// pushResult is what connect-push prints: the outcome as connect-go's client saw it.
type pushResult struct {
	OK      bool   `json:"ok"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// runConnectPush reads a protojson PushRequest on stdin and pushes it with connect-go.
func runConnectPush(args []string) error {
	flags := flag.NewFlagSet("connect-push", flag.ContinueOnError)
	url := flags.String("url", "", "base URL of the server")
	protocol := flags.String("protocol", "connect", "connect, grpcweb or grpc (h2c)")
	codec := flags.String("codec", "proto", "proto or json")
	gzip := flags.Bool("gzip", false, "compress the request with gzip")
	if err := flags.Parse(args); err != nil {
		return err
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	msg := &pushv1.PushRequest{}
	if err := protojson.Unmarshal(input, msg); err != nil {
		return fmt.Errorf("stdin is not a protojson PushRequest: %w", err)
	}
	var opts []connect.ClientOption
	httpClient := &http.Client{Timeout: 20 * time.Second}
	switch *protocol {
	case "connect":
	case "grpcweb":
		opts = append(opts, connect.WithGRPCWeb())
	case "grpc":
		opts = append(opts, connect.WithGRPC())
		transport := &http.Transport{Protocols: new(http.Protocols)}
		transport.Protocols.SetUnencryptedHTTP2(true)
		httpClient.Transport = transport
	default:
		return fmt.Errorf("unknown -protocol %q", *protocol)
	}
	if *codec == "json" {
		opts = append(opts, connect.WithProtoJSON())
	} else if *codec != "proto" {
		return fmt.Errorf("unknown -codec %q", *codec)
	}
	if *gzip {
		opts = append(opts, connect.WithSendGzip())
	}
	client := pushv1connect.NewPusherServiceClient(httpClient, *url, opts...)
	_, err = client.Push(context.Background(), connect.NewRequest(msg))
	result := pushResult{OK: err == nil}
	if err != nil {
		var connectErr *connect.Error
		if errors.As(err, &connectErr) {
			result.Code = connectErr.Code().String()
			result.Message = connectErr.Message()
		} else {
			result.Code = "transport"
			result.Message = err.Error()
		}
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

// receivedPush is what connect-server prints for each request it accepts.
type receivedPush struct {
	Protocol    string          `json:"protocol"`
	ContentType string          `json:"content_type"`
	Request     json.RawMessage `json:"request"`      // protojson of the decoded PushRequest
	ParseErrors []string        `json:"parse_errors"` // google/pprof profile.Parse failures
}

type pusher struct {
	mu  sync.Mutex
	out *json.Encoder
}

func (p *pusher) Push(ctx context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	rec := receivedPush{
		Protocol:    req.Peer().Protocol,
		ContentType: req.Header().Get("Content-Type"),
		ParseErrors: []string{},
	}
	for i, series := range req.Msg.GetSeries() {
		for j, sample := range series.GetSamples() {
			if _, err := profile.ParseData(sample.GetRawProfile()); err != nil {
				rec.ParseErrors = append(rec.ParseErrors, fmt.Sprintf("series[%d].samples[%d]: %v", i, j, err))
			}
		}
	}
	encoded, err := protojson.Marshal(req.Msg)
	if err != nil {
		return nil, connect.NewError(connect.CodeInternal, err)
	}
	rec.Request = encoded
	p.mu.Lock()
	_ = p.out.Encode(rec)
	p.mu.Unlock()
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

// runConnectServer serves PusherService/Push (Connect, gRPC and gRPC-Web; HTTP/1.1 and h2c).
func runConnectServer(args []string) error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(&pusher{out: json.NewEncoder(os.Stdout)}))
	server := &http.Server{Handler: mux, Protocols: new(http.Protocols)}
	server.Protocols.SetHTTP1(true)
	server.Protocols.SetUnencryptedHTTP2(true)
	exitOnStdinClose()
	fmt.Printf("listening on %s\n", listener.Addr())
	return server.Serve(listener)
}
