// Package gui holds Calla's Fyne views and the view models behind them.
//
// View models are plain Go over the call engine's interface and hold the
// state each screen shows; views are thin and only bind to them.
//
// Concurrency: Fyne objects are touched only on Fyne's UI goroutine. One
// goroutine per app reads the engine's events and turns each into view
// model updates wrapped in fyne.Do.
package gui
