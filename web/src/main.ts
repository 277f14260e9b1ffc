// The web client's entry point: one element, <karton-app>, holds the rest.
import "./app.js";
