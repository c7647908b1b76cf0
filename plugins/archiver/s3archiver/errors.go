package s3archiver

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/runnel-io/runnel/plugins/archiver"
)

// statusCode is the HTTP status of a failed request, or 0 if none came.
func statusCode(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// mapNotFound wraps archiver.ErrNotFound around a missing object's error.
// A missing bucket is a configuration fault, not a missing object.
func mapNotFound(err error) error {
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	if code == "NoSuchKey" || code == "NotFound" || statusCode(err) == http.StatusNotFound && code != "NoSuchBucket" {
		return fmt.Errorf("%w: %w", archiver.ErrNotFound, err)
	}
	return err
}

// hint says in words why the bucket check failed.
func hint(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		// XAdminUserNotFound (status 404) is versitygw's InvalidAccessKeyId.
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "XAdminUserNotFound":
			return "access denied (" + api.ErrorCode() + "; check access_key_id and secret_access_key, or the default credential chain)"
		case "NoSuchBucket":
			return "no such bucket"
		case "PermanentRedirect", "AuthorizationHeaderMalformed":
			return "the bucket is in another region (" + api.ErrorCode() + "; check region)"
		}
	}
	switch statusCode(err) {
	case http.StatusForbidden:
		return "access denied (check access_key_id and secret_access_key, or the default credential chain)"
	case http.StatusNotFound:
		return "no such bucket"
	case http.StatusMovedPermanently:
		return "the bucket is in another region (check region)"
	}
	return "refused"
}
