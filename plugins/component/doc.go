// Package component holds what every plugin kind shares: the Kind and Info
// that name an implementation, the Start/Close lifecycle, and the Env the
// host lends to an instance. Constructors do no I/O; Start acquires, Close
// releases and is always safe to call.
package component
