package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// OpenAPI builds the OpenAPI 3.0 document of table (Routes()). Schemas
// are derived from the Go types the routes decode and encode, so the
// document follows the code.
func OpenAPI(table []Route) map[string]any {
	paths := obj{}
	for _, rt := range table {
		path := strings.TrimSuffix(rt.Path, "{$}")
		ops, _ := paths[path].(obj)
		if ops == nil {
			ops = obj{}
			paths[path] = ops
		}
		ops[strings.ToLower(rt.Method)] = operation(rt)
	}
	paths["/openapi.json"] = obj{"get": obj{"summary": "This document", "operationId": "get_openapi", "security": []any{},
		"responses": obj{"200": obj{"description": "OpenAPI 3 document", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}}}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "Runnel HTTP API", "version": "0.8",
			"description": "Apache Iggy 0.8 compatible REST API. Log in at /users/login and send the access token as `Authorization: Bearer <token>`."},
		"paths":    paths,
		"security": []any{obj{"bearerAuth": []any{}}},
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas":         obj{"Error": schemaOf(reflect.TypeFor[Error]())},
		},
	}
}

func operation(rt Route) obj {
	op := obj{"summary": rt.Summary, "operationId": operationID(rt)}
	if rt.Public {
		op["security"] = []any{}
	}
	var params []any
	for _, m := range pathParams(rt.Path) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "string"}})
	}
	for _, q := range rt.Query {
		params = append(params, obj{"name": q.Name, "in": "query", "required": q.Required, "description": q.Doc, "schema": obj{"type": q.Kind}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.Body != nil {
		op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": schemaOf(reflect.TypeOf(rt.Body))}}}
	}
	ok := obj{"description": http.StatusText(rt.Status)}
	switch rt.Out.(type) {
	case nil:
	case string:
		ok["content"] = obj{"text/plain": obj{"schema": obj{"type": "string"}}}
	default:
		ok["content"] = obj{"application/json": obj{"schema": schemaOf(reflect.TypeOf(rt.Out))}}
	}
	errRef := obj{"description": "Error", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	op["responses"] = obj{strconv.Itoa(rt.Status): ok, "4XX": errRef, "5XX": errRef}
	return op
}

// operationID is method_path in snake case: get_streams_stream_id.
func operationID(rt Route) string {
	p := strings.NewReplacer("{$}", "root", "{", "", "}", "", "-", "_").Replace(rt.Path)
	p = strings.ReplaceAll(strings.Trim(p, "/"), "/", "_")
	return strings.ToLower(rt.Method) + "_" + p
}

// schemaOf describes t as JSON encoding/json would write it.
func schemaOf(t reflect.Type) obj {
	switch t {
	case reflect.TypeFor[json.RawMessage]():
		return obj{"description": "a number or a string"}
	case reflect.TypeFor[json.Number]():
		return obj{"type": "integer", "description": "decimal, up to 128 bits"}
	case reflect.TypeFor[[]byte]():
		return obj{"type": "string", "format": "byte"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := schemaOf(t.Elem())
		s["nullable"] = true
		return s
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return obj{"type": "integer", "minimum": 0}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		return obj{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := obj{}
		addFields(t, props)
		return obj{"type": "object", "properties": props}
	}
	return obj{}
}

// addFields adds t's JSON fields, flattening embedded structs as
// encoding/json does.
func addFields(t reflect.Type, props obj) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			addFields(f.Type, props)
			continue
		}
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}

// pathParams returns the {name} parameters of path as [whole, name] pairs
// (the shape of a regexp submatch).
func pathParams(path string) [][]string {
	var out [][]string
	for {
		open := strings.IndexByte(path, '{')
		end := strings.IndexByte(path, '}')
		if open < 0 || end < open {
			return out
		}
		if name := path[open+1 : end]; name != "$" {
			out = append(out, []string{path[open : end+1], name})
		}
		path = path[end+1:]
	}
}
