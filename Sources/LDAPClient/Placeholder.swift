// LDAPClient: see LDAPConnection.swift
